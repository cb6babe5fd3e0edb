# Sourced by the benchmark scripts: builds the release binary the way `make` does and puts the
# XGBoost library it links on the library path (`make bench` exports XGBOOST_LIB_DIR and
# AEGIS_CARGO_FEATURES; run alone, a script needs `make deps` to have fetched the library once).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/aegis-target}"
export XGBOOST_LIB_DIR="${XGBOOST_LIB_DIR:-$CARGO_TARGET_DIR/xgboost-3.4.1/lib}"
# shellcheck disable=SC2086 # the features are words
cargo build --release -q ${AEGIS_CARGO_FEATURES:-}
if [ -f "$XGBOOST_LIB_DIR/libxgboost.so" ]; then
  lib=$XGBOOST_LIB_DIR
else
  lib=$(dirname "$(find "$CARGO_TARGET_DIR/release/build" -name 'libxgboost.so' | head -1)")
fi
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
aegis="$CARGO_TARGET_DIR/release/aegis"
