//! GGUF re-quantisation: the default chat model ships as Q4_1, whose candle CPU kernel is scalar;
//! Q8_0 has a vectorised kernel and was measured about 3x faster here, so it is converted once.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};

use super::{Error, Result, io_err};

/// llama.cpp's `general.file_type` value for "mostly Q8_0".
const FILE_TYPE_MOSTLY_Q8_0: u32 = 7;

/// Rewrites `src` as `dst` with its Q4_0/Q4_1/Q5_0/Q5_1 tensors dequantised and re-quantised to
/// Q8_0; other tensors and all metadata are kept. The result is written to a temporary file and
/// renamed, so `dst` is either absent or complete.
pub fn requantize_gguf(src: &Path, dst: &Path, progress: bool) -> Result<()> {
    let gguf_err = |reason: String| Error::Gguf {
        path: src.to_path_buf(),
        reason,
    };
    let mut reader =
        BufReader::new(File::open(src).map_err(io_err(format!("opening {}", src.display())))?);
    let content = gguf_file::Content::read(&mut reader)
        .map_err(|e| gguf_err(format!("not a readable GGUF file: {e}")))?;

    // Keep the original tensor order (by offset) so the file reads like the source.
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort_by_key(|n| content.tensor_infos[*n].offset);
    let bar = super::wheel::progress_bar(progress, names.len() as u64, "converting Q4_1 -> Q8_0");
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(names.len());
    for name in names {
        let tensor = content
            .tensor(&mut reader, name, &Device::Cpu)
            .map_err(|e| gguf_err(format!("tensor {name}: {e}")))?;
        let tensor = requantize(tensor).map_err(|e| gguf_err(format!("tensor {name}: {e}")))?;
        tensors.push((name.clone(), tensor));
        bar.inc(1);
    }
    bar.finish_and_clear();

    let mut metadata: Vec<(&str, gguf_file::Value)> = content
        .metadata
        .iter()
        // The writer aligns to 32 bytes; a different declared alignment would mislead readers.
        .filter(|(k, _)| k.as_str() != "general.alignment")
        .map(|(k, v)| {
            let v = if k == "general.file_type" {
                gguf_file::Value::U32(FILE_TYPE_MOSTLY_Q8_0)
            } else {
                v.clone()
            };
            (k.as_str(), v)
        })
        .collect();
    metadata.sort_by(|a, b| a.0.cmp(b.0));
    let metadata_refs: Vec<(&str, &gguf_file::Value)> =
        metadata.iter().map(|(k, v)| (*k, v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();

    let dir = dst.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(io_err(format!("creating a file in {}", dir.display())))?;
    {
        let mut out = BufWriter::new(tmp.as_file());
        gguf_file::write(&mut out, &metadata_refs, &tensor_refs)
            .map_err(|e| gguf_err(format!("writing the Q8_0 copy: {e}")))?;
        std::io::Write::flush(&mut out).map_err(io_err(format!("writing {}", dst.display())))?;
    }
    tmp.persist(dst).map_err(|e| Error::Io {
        context: format!("moving into {}", dst.display()),
        source: e.error,
    })?;
    Ok(())
}

fn requantize(tensor: QTensor) -> candle_core::Result<QTensor> {
    let convertible = matches!(
        tensor.dtype(),
        GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1
    );
    let row_len = tensor.shape().dims().last().copied().unwrap_or(0);
    if !convertible || !row_len.is_multiple_of(GgmlDType::Q8_0.block_size()) {
        return Ok(tensor);
    }
    let dense: Tensor = tensor.dequantize(&Device::Cpu)?;
    QTensor::quantize(&dense, GgmlDType::Q8_0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a tiny GGUF with one Q4_1 matrix, one F32 vector and some metadata.
    fn write_q4_1_gguf(path: &Path) -> Tensor {
        let values: Vec<f32> = (0..4 * 64)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let dense = Tensor::from_vec(values, (4, 64), &Device::Cpu).unwrap();
        let q = QTensor::quantize(&dense, GgmlDType::Q4_1).unwrap();
        let norm = QTensor::quantize(
            &Tensor::ones(64, candle_core::DType::F32, &Device::Cpu).unwrap(),
            GgmlDType::F32,
        )
        .unwrap();
        let arch = gguf_file::Value::String("llama".into());
        let ftype = gguf_file::Value::U32(3);
        let mut f = File::create(path).unwrap();
        gguf_file::write(
            &mut f,
            &[
                ("general.architecture", &arch),
                ("general.file_type", &ftype),
            ],
            &[("blk.0.attn_q.weight", &q), ("output_norm.weight", &norm)],
        )
        .unwrap();
        q.dequantize(&Device::Cpu).unwrap()
    }

    #[test]
    fn converts_q4_1_to_q8_0_keeping_values_and_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("m.Q4_1.gguf");
        let dst = dir.path().join("m.Q8_0.gguf");
        let q4_values = write_q4_1_gguf(&src);
        requantize_gguf(&src, &dst, false).unwrap();

        let mut r = BufReader::new(File::open(&dst).unwrap());
        let content = gguf_file::Content::read(&mut r).unwrap();
        assert_eq!(
            content.metadata["general.architecture"]
                .to_string()
                .unwrap(),
            "llama"
        );
        assert_eq!(
            content.metadata["general.file_type"].to_u32().unwrap(),
            FILE_TYPE_MOSTLY_Q8_0
        );
        let q = content
            .tensor(&mut r, "blk.0.attn_q.weight", &Device::Cpu)
            .unwrap();
        assert_eq!(q.dtype(), GgmlDType::Q8_0);
        let norm = content
            .tensor(&mut r, "output_norm.weight", &Device::Cpu)
            .unwrap();
        assert_eq!(norm.dtype(), GgmlDType::F32);
        // Q8_0 represents the 4-bit levels nearly exactly.
        let diff = (q.dequantize(&Device::Cpu).unwrap() - q4_values)
            .unwrap()
            .abs()
            .unwrap();
        let max = diff
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(max < 0.02, "max abs difference {max}");
    }

    #[test]
    fn a_broken_file_is_a_clear_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("broken.gguf");
        std::fs::write(&src, b"GGUF but not really").unwrap();
        let dst = dir.path().join("out.gguf");
        let err = requantize_gguf(&src, &dst, false).unwrap_err().to_string();
        assert!(
            err.contains("broken.gguf: not a readable GGUF file"),
            "{err}"
        );
        assert!(!dst.exists());
    }
}
