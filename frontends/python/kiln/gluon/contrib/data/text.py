"""MXNet 1.9.1's ``mxnet/gluon/contrib/data/text.py`` (WikiText2,
WikiText103): not built. They index words with ``mx.contrib.text``'s
Vocabulary, which kiln does not have."""
raise ImportError(
    "kiln.gluon.contrib.data.text (WikiText2, WikiText103) is not built: it "
    "needs mx.contrib.text's Vocabulary, which kiln does not have yet")
