"""A static text embedding for the matcher: WordLlama's bundled model (issue 17, part 4).

wordllama (PyPI, MIT) ships 256-dimension token embeddings (`l2_supercat_256`, a Llama 2
vocabulary of 32,000 tokens, 16 MB in float16) and their tokenizer inside its wheel. A text's
vector is the mean of its tokens' vectors, normalised: no network, no PyTorch, no model to
run. The files are read from the installed package without importing it: `import wordllama`
calls `logging.basicConfig(level=INFO)` (the root logger's level and handler would change
under the bot), and its `WordLlama.load()` looks for the bundled tokenizer in a folder the
wheel does not have ("tokenizer/" for "tokenizers/") and then downloads it from Hugging Face.
Loaded once per process, on first use.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"

_lock = threading.Lock()
_model: tuple[np.ndarray, object] | None = None


def _package_dir() -> Path:
    spec = importlib.util.find_spec("wordllama")  # finds it without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("wordllama is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _load() -> tuple[np.ndarray, object]:
    global _model
    with _lock:
        if _model is None:
            from safetensors import safe_open
            from tokenizers import Tokenizer

            base = _package_dir()
            with safe_open(str(base / _WEIGHTS), framework="np") as f:
                # kept in float16 as shipped (16 MB; 33 MB in float32): means are taken in float32
                table = f.get_tensor("embedding.weight")
            tokenizer = Tokenizer.from_file(str(base / _TOKENIZER))
            tokenizer.no_padding()
            tokenizer.no_truncation()
            _model = (table, tokenizer)
    return _model


_BATCH = 256  # texts tokenized at once: 10,000 items' encodings at once held ~80 MB


def embed(texts: list[str]) -> np.ndarray:
    """One unit vector (float32) per text; a text with no token gets zeros."""
    table, tokenizer = _load()
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    for start in range(0, len(texts), _BATCH):
        batch = tokenizer.encode_batch(texts[start : start + _BATCH], add_special_tokens=False)
        for n, encoding in enumerate(batch, start):
            if encoding.ids:
                ids = np.asarray(encoding.ids, dtype=np.int64)
                rows = table[np.clip(ids, 0, table.shape[0] - 1)].astype(np.float32)
                out[n] = rows.mean(axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms
