// The point's camera, where the browser has one: a frame is taken at the photo standard's
// size (3:4, centre-cropped; the capture form's file input says which, with the accepted
// file sizes), encoded as JPEG at the quality that lands within those sizes, and put into
// the file input — which then asks the server for the photo standard's verdict, as a
// chosen file does, and is posted with the form exactly like one. Without a camera (or
// without script) the file input is all there is.
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
  var number = function (name, fallback) {
    var value = parseInt(input.getAttribute("data-" + name), 10);
    return isNaN(value) ? fallback : value;
  };
  var targetWidth = number("width", 480), targetHeight = number("height", 640);
  var minBytes = number("min-bytes", 20 * 1024), maxBytes = number("max-bytes", 40 * 1024);
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
  // Halves the quality interval until the file fits the accepted sizes (or six tries).
  function encode(canvas, low, high, tries, done) {
    var quality = (low + high) / 2;
    canvas.toBlob(function (blob) {
      if (tries <= 1 || (blob.size >= minBytes && blob.size <= maxBytes)) {
        done(blob);
      } else if (blob.size > maxBytes) {
        encode(canvas, low, quality, tries - 1, done);
      } else {
        encode(canvas, quality, high, tries - 1, done);
      }
    }, "image/jpeg", quality);
  }
  take.addEventListener("click", function () {
    var width = video.videoWidth, height = video.videoHeight;
    if (!width || !height) { return; }
    var canvas = document.createElement("canvas");
    canvas.width = targetWidth;
    canvas.height = targetHeight;
    var ratio = targetWidth / targetHeight;
    var cropWidth = Math.min(width, height * ratio), cropHeight = cropWidth / ratio;
    canvas
      .getContext("2d")
      .drawImage(video, (width - cropWidth) / 2, (height - cropHeight) / 2, cropWidth, cropHeight, 0, 0, targetWidth, targetHeight);
    encode(canvas, 0.3, 1.0, 6, function (blob) {
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], "camera.jpg", { type: "image/jpeg" }));
      input.files = transfer.files;
      status.textContent = "已拍照（" + Math.round(blob.size / 1024) + " KB）。";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
})();
