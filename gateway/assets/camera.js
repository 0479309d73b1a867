// The point's camera, where the browser has one: a frame is taken at the photo standard's
// 480×640 (3:4, centre-cropped), encoded as JPEG and put into the capture form's file input,
// so the form is posted exactly as with a chosen file. Without a camera (or without script)
// the file input is all there is.
(function () {
  "use strict";
  var input = document.getElementById("photo");
  var box = document.getElementById("camera");
  if (!input || !box || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var start = document.getElementById("camera-start");
  var take = document.getElementById("camera-take");
  var video = document.getElementById("camera-video");
  var status = document.getElementById("camera-status");
  box.hidden = false;
  start.addEventListener("click", function () {
    navigator.mediaDevices
      .getUserMedia({ video: { width: 960, height: 1280, facingMode: "user" }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        take.hidden = false;
        status.textContent = "摄像头已打开：请考生正对镜头，然后点击“拍照”。";
      })
      .catch(function () {
        status.textContent = "无法打开摄像头，请选择照片文件。";
      });
  });
  take.addEventListener("click", function () {
    var width = video.videoWidth, height = video.videoHeight;
    if (!width || !height) { return; }
    var canvas = document.createElement("canvas");
    canvas.width = 480;
    canvas.height = 640;
    var cropWidth = Math.min(width, height * 3 / 4), cropHeight = cropWidth * 4 / 3;
    canvas
      .getContext("2d")
      .drawImage(video, (width - cropWidth) / 2, (height - cropHeight) / 2, cropWidth, cropHeight, 0, 0, 480, 640);
    canvas.toBlob(function (blob) {
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], "camera.jpg", { type: "image/jpeg" }));
      input.files = transfer.files;
      status.textContent = "已拍照（" + Math.round(blob.size / 1024) + " KB），提交时将检查照片是否合格。";
    }, "image/jpeg", 0.8);
  });
})();
