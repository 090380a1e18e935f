//! Baseline for `shopclerk bench llm`: the same GGUF run by candle-transformers' own
//! quantized llama (concatenating key/value cache), prompt and generation tokens/s.
//!
//! cargo run --release --example candle_llama_baseline -- models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q8_0.gguf 300 128

use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or_else(|| anyhow::anyhow!("usage: FILE.gguf [prompt] [gen]"))?;
    let n_prompt: usize = args.get(2).map_or(Ok(300), |s| s.parse())?;
    let n_gen: usize = args.get(3).map_or(Ok(128), |s| s.parse())?;
    let mut file = std::fs::File::open(path)?;
    let content = candle_core::quantized::gguf_file::Content::read(&mut file)?;
    let mut model = ModelWeights::from_gguf(content, &mut file, &Device::Cpu)?;
    let prompt: Vec<u32> = (0..n_prompt as u32).map(|i| 1000 + i % 500).collect();
    for _ in 0..2 {
        model.clear_kv_cache();
        let start = Instant::now();
        let input = Tensor::new(prompt.as_slice(), &Device::Cpu)?.unsqueeze(0)?;
        let logits = model.forward(&input, 0)?;
        let mut next = logits.squeeze(0)?.argmax(0)?.to_scalar::<u32>()?;
        let pp = start.elapsed();
        let start = Instant::now();
        for i in 0..n_gen - 1 {
            let input = Tensor::new(&[next], &Device::Cpu)?.unsqueeze(0)?;
            let logits = model.forward(&input, n_prompt + i)?;
            next = logits.squeeze(0)?.argmax(0)?.to_scalar::<u32>()?;
        }
        let tg = start.elapsed();
        println!(
            "candle quantized_llama: prompt {:.1} tok/s, generation {:.1} tok/s",
            n_prompt as f64 / pp.as_secs_f64(),
            (n_gen - 1) as f64 / tg.as_secs_f64()
        );
    }
    Ok(())
}
