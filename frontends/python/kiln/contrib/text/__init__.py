"""Text indexing and token embeddings, as MXNet 1.9.1's mxnet.contrib.text:
`utils` (count_tokens_from_str), `vocab` (Vocabulary) and `embedding`
(GloVe, FastText, CustomEmbedding, CompositeEmbedding)."""
from . import utils
from . import vocab
from . import embedding
