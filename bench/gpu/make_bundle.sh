#!/bin/bash
# Packs what the GPU machine needs beside the tree into tmp/gpu-run/bundle.tar.xz: the CUDA
# build's binaries (make CUDA=1 first), the shared libraries they load that the device image
# may lack (Debian 12 builds; glibc, libstdc++ and CUDA's own come from the device), and the
# ModernBERT-large config and tokenizer from ../shared.
set -eu
R=tmp/gpu-run
rm -rf $R/stage
mkdir -p $R/stage/bin $R/stage/lib $R/stage/large
cp build-cuda/finecat build-cuda/finecat_tests $R/stage/bin/
for l in libcjson.so.1 libpcre2-8.so.0 libutf8proc.so.2 libmicrohttpd.so.12 libdnnl.so.2 \
         libgomp.so.1 libgnutls.so.30 libOpenCL.so.1 libp11-kit.so.0 libidn2.so.0 \
         libunistring.so.2 libtasn1.so.6 libnettle.so.8 libhogweed.so.6 libgmp.so.10 libffi.so.8; do
    cp -L /lib/x86_64-linux-gnu/$l $R/stage/lib/
done
cp ../shared/data/tokenizers/ModernBERT-large/* $R/stage/large/
tar -C $R/stage -cJf $R/bundle.tar.xz .
rm -rf $R/stage
ls -la $R/bundle.tar.xz
