"""Token counting, as MXNet 1.9.1's mxnet.contrib.text.utils."""
import collections
import re

__all__ = ["count_tokens_from_str"]


def count_tokens_from_str(source_str, token_delim=" ", seq_delim="\n",
                          to_lower=False, counter_to_update=None):
    """Counts the tokens of `source_str`.

    The string is split on `token_delim` and on `seq_delim` (both regular
    expressions, joined by '|' as MXNet does, so '.' or '|' must be
    escaped); empty tokens are dropped; to_lower lower-cases them first.
    Returns a collections.Counter: `counter_to_update` updated in place
    when given, else a new one.

    >>> count_tokens_from_str(' Life is great ! \\n life is good . \\n')
    Counter({'is': 2, 'Life': 1, 'great': 1, '!': 1, 'life': 1, ...})
    """
    tokens = [t for t in re.split(token_delim + "|" + seq_delim, source_str)
              if t]
    if to_lower:
        tokens = [t.lower() for t in tokens]
    if counter_to_update is None:
        return collections.Counter(tokens)
    counter_to_update.update(tokens)
    return counter_to_update
