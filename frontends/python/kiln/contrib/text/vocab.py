"""Token indexing, as MXNet 1.9.1's mxnet.contrib.text.vocab."""
import collections

from . import _constants as C

__all__ = ["Vocabulary"]


class Vocabulary(object):
    """Maps tokens to indices and back.

    Index 0 is `unknown_token` (default '<unk>'), then the
    `reserved_tokens` (list of str, e.g. ['<pad>']) in their order, then
    the keys of `counter` (a collections.Counter) by descending count,
    ties in ascending token order, keeping those counted at least
    `min_freq` times (default 1), at most `most_freq_count` of them (None:
    all). AssertionError when min_freq <= 0, when reserved_tokens repeats
    a token or holds unknown_token, or when counter is not a Counter, as
    MXNet raises.
    """

    def __init__(self, counter=None, most_freq_count=None, min_freq=1,
                 unknown_token="<unk>", reserved_tokens=None):
        assert min_freq > 0, "`min_freq` must be set to a positive value."
        if reserved_tokens is not None:
            reserved = set(reserved_tokens)
            assert unknown_token not in reserved, \
                "`reserved_token` cannot contain `unknown_token`."
            assert len(reserved) == len(reserved_tokens), \
                "`reserved_tokens` cannot contain duplicate reserved tokens."
        self._index_unknown_and_reserved_tokens(unknown_token,
                                                reserved_tokens)
        if counter is not None:
            self._index_counter_keys(counter, unknown_token, reserved_tokens,
                                     most_freq_count, min_freq)

    def _index_unknown_and_reserved_tokens(self, unknown_token,
                                           reserved_tokens):
        self._unknown_token = unknown_token
        self._idx_to_token = [unknown_token]
        if reserved_tokens is None:
            self._reserved_tokens = None
        else:
            self._reserved_tokens = list(reserved_tokens)
            self._idx_to_token.extend(reserved_tokens)
        self._token_to_idx = {token: idx for idx, token
                              in enumerate(self._idx_to_token)}

    def _index_counter_keys(self, counter, unknown_token, reserved_tokens,
                            most_freq_count, min_freq):
        assert isinstance(counter, collections.Counter), \
            "`counter` must be an instance of collections.Counter."
        special = set(reserved_tokens or ())
        special.add(unknown_token)
        # Descending count, ties by token: sort by token, then stably by count.
        ranked = sorted(sorted(counter.items(), key=lambda kv: kv[0]),
                        key=lambda kv: kv[1], reverse=True)
        cap = len(special) + (len(counter) if most_freq_count is None
                              else most_freq_count)
        for token, freq in ranked:
            if freq < min_freq or len(self._idx_to_token) == cap:
                break
            if token not in special:
                self._idx_to_token.append(token)
                self._token_to_idx[token] = len(self._idx_to_token) - 1

    def __len__(self):
        return len(self.idx_to_token)

    @property
    def token_to_idx(self):
        """dict: token -> index."""
        return self._token_to_idx

    @property
    def idx_to_token(self):
        """list: index -> token."""
        return self._idx_to_token

    @property
    def unknown_token(self):
        """The token index 0 stands for."""
        return self._unknown_token

    @property
    def reserved_tokens(self):
        """The reserved tokens (list), or None."""
        return self._reserved_tokens

    def to_indices(self, tokens):
        """The index of a token (str), or the list of indices of a list of
        tokens; unknown tokens give 0."""
        if not isinstance(tokens, list):
            return self.token_to_idx.get(tokens, C.UNKNOWN_IDX)
        return [self.token_to_idx.get(t, C.UNKNOWN_IDX) for t in tokens]

    def to_tokens(self, indices):
        """The token of an index (int), or the list of tokens of a list of
        indices. ValueError naming an index that is not an int or is past
        the end, as MXNet's."""
        single = not isinstance(indices, list)
        if single:
            indices = [indices]
        max_idx = len(self.idx_to_token) - 1
        tokens = []
        for idx in indices:
            if not isinstance(idx, int) or idx > max_idx:
                raise ValueError("Token index %d in the provided `indices` is "
                                 "invalid." % idx)
            tokens.append(self.idx_to_token[idx])
        return tokens[0] if single else tokens
