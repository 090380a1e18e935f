#!/usr/bin/env bash
# Derives data/demo_catalog.jsonl from the public Amazon.in sales CSV (see data/README.md).
# Run from anywhere; expects the datasets checkout next to the project (../shared/datasets).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --example convert_catalog -- \
    ../shared/datasets/amazon_in/amazon.csv data/demo_catalog.jsonl
