//! What a capture's body costs the gateway between the socket and the store, on one core:
//! the body collected from its chunks (as the extractor does), parsed, the photo decoded from
//! base64, stripped of EXIF and measured against the photo standard — everything `prepare`
//! does to the photo before its bytes go into the commit. The photo is the loadtest's (a
//! 30 KiB 480×640 JPEG), once as it sends it and once with an 8 KiB EXIF segment as a
//! phone's camera writes one.
//!
//! Run: `cargo bench -p gateway --bench capture_body`

use base64::Engine as _;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gateway::app::capture::CaptureRequest;
use std::time::Duration;

/// The chunk size the body arrives in (actix-http's read buffer is 32 KiB; a phone's upload
/// arrives in smaller pieces).
const CHUNK_BYTES: usize = 16 * 1024;

fn with_exif(jpeg: &[u8], exif_bytes: usize) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let length = u16::try_from(exif_bytes + 2).expect("fits a segment");
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend(std::iter::repeat_n(0x45, exif_bytes));
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn body(photo: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id_number": "430102200801010011",
        "name": "张三",
        "gender": "male",
        "ethnicity": 1,
        "birth_date": "2008-01-01",
        "address": "湖南省长沙市芙蓉区五一大道1号",
        "valid_until": "长期",
        "category": "physics",
        "mode": "card_read",
        "photo_base64": base64::engine::general_purpose::STANDARD.encode(photo),
    }))
    .expect("serialises")
}

fn capture_body(c: &mut Criterion) {
    let rules = engine::photo::PhotoRules::default();
    let jpeg = engine::photo::synthetic_jpeg(480, 640, 30 * 1024, 7);
    let mut group = c.benchmark_group("capture_body");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    for (name, photo) in [
        ("as_sent", jpeg.clone()),
        ("with_exif", with_exif(&jpeg, 8 * 1024)),
    ] {
        let body = body(&photo);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut collector = gateway::body::Collector::new(Some(body.len()));
                for chunk in body.chunks(CHUNK_BYTES) {
                    collector.push(chunk).expect("within the limit");
                }
                let request: CaptureRequest =
                    gateway::body::parse(&collector.finish()).expect("parses");
                let uploaded = base64::engine::general_purpose::STANDARD
                    .decode(request.photo_base64().as_bytes())
                    .expect("base64");
                let stored = engine::photo::strip_metadata(uploaded);
                let meta = rules.inspect(&stored).expect("meets the standard");
                (stored, meta)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, capture_body);
criterion_main!(benches);
