"""Sentence data for bucketed language models, as MXNet 1.9.1's
mxnet/rnn/io.py: encode_sentences turns token lists into integer ids and
BucketSentenceIter batches them by length for BucketingModule.

    coded, vocab = mx.rnn.encode_sentences([['a', 'b'], ['b', 'c', 'a']])
    it = mx.rnn.BucketSentenceIter(coded, batch_size=1, buckets=[2, 3])
    batch = next(it)       # batch.bucket_key is 2 or 3
"""
import bisect
import random

import numpy as np

from .. import ndarray
from ..io import DataBatch, DataDesc, DataIter

__all__ = ["encode_sentences", "BucketSentenceIter", "DataBatch",
           "DataDesc", "DataIter"]


def encode_sentences(sentences, vocab=None, invalid_label=-1,
                     invalid_key="\n", start_label=0, unknown_token=None):
    """Sentences (lists of str tokens) as lists of int ids.

    Parameters
    ----------
    sentences : list of list of str
    vocab : dict of str -> int, optional
        Ids to use. When None a new one is built, {invalid_key:
        invalid_label} plus each new token in order of appearance, numbered
        from start_label (skipping invalid_label).
    invalid_label : int, default -1
    invalid_key : str, default '\\n'
    start_label : int, default 0
    unknown_token : str, optional
        With a given vocab, tokens missing from it map to this one (added
        to vocab with the next id if it is missing too). Without it, a
        token missing from a given vocab raises AssertionError.

    Returns
    -------
    (encoded sentences, vocab); a given vocab is extended in place.
    """
    new_vocab = vocab is None
    if new_vocab:
        vocab = {invalid_key: invalid_label}
    next_id = start_label
    encoded = []
    for sentence in sentences:
        ids = []
        for word in sentence:
            if word not in vocab:
                assert new_vocab or unknown_token, "Unknown token %s" % word
                if next_id == invalid_label:
                    next_id += 1
                if unknown_token:
                    word = unknown_token
                vocab[word] = next_id
                next_id += 1
            ids.append(vocab[word])
        encoded.append(ids)
    return encoded, vocab


class BucketSentenceIter(DataIter):
    """Batches of equal-length (padded) sentences for a language model:
    the label at each step is the next token (invalid_label after the
    last).

    Parameters
    ----------
    sentences : list of list of int
        Encoded sentences.
    batch_size : int
    buckets : list of int, optional
        Padded lengths (sorted in place). None: every length that at least
        batch_size sentences have. A sentence goes to the shortest bucket
        that holds it; longer ones are discarded (and counted on stdout,
        as MXNet prints them); buckets no sentence falls in are dropped,
        and a bucket's last sentences that fill no whole batch are not
        served.
    invalid_label : int, default -1
        The padding, and the label after a sentence's last token.
    data_name, label_name : str, default 'data', 'softmax_label'
    dtype : str, default 'float32'
    layout : str, default 'NT'
        'NT' for (batch_size, length) batches, 'TN' for (length,
        batch_size); any other raises ValueError.

    Attributes: buckets, default_bucket_key (the longest bucket),
    provide_data / provide_label (DataDesc of the default bucket's shape).
    Each reset() (also at construction) shuffles the batch order with
    Python's `random` and each bucket's sentences with numpy.random, as
    MXNet does, so seeding both repeats MXNet's order. Batches are
    DataBatch with bucket_key and their own provide_data/provide_label.
    """

    def __init__(self, sentences, batch_size, buckets=None, invalid_label=-1,
                 data_name="data", label_name="softmax_label",
                 dtype="float32", layout="NT"):
        super(BucketSentenceIter, self).__init__()
        if not buckets:
            counts = np.bincount([len(s) for s in sentences])
            buckets = [length for length, count in enumerate(counts)
                       if count >= batch_size]
        buckets.sort()

        rows = [[] for _ in buckets]
        discarded = 0
        for sentence in sentences:
            bucket = bisect.bisect_left(buckets, len(sentence))
            if bucket == len(buckets):
                discarded += 1
                continue
            row = np.full((buckets[bucket],), invalid_label, dtype=dtype)
            row[:len(sentence)] = sentence
            rows[bucket].append(row)
        used = [i for i, bucket_rows in enumerate(rows) if bucket_rows]
        buckets = [buckets[i] for i in used]
        self.data = [np.asarray(rows[i], dtype=dtype) for i in used]
        print("WARNING: discarded %d sentences longer than the largest "
              "bucket." % discarded)

        self.batch_size = batch_size
        self.buckets = buckets
        self.data_name = data_name
        self.label_name = label_name
        self.dtype = dtype
        self.invalid_label = invalid_label
        self.nddata = []
        self.ndlabel = []
        self.major_axis = layout.find("N")
        self.layout = layout
        self.default_bucket_key = max(buckets)
        if self.major_axis not in (0, 1):
            raise ValueError("Invalid layout %s: Must by NT (batch major) or "
                             "TN (time major)" % layout)
        shape = self._shape(self.default_bucket_key)
        self.provide_data = [DataDesc(name=data_name, shape=shape,
                                      layout=layout)]
        self.provide_label = [DataDesc(name=label_name, shape=shape,
                                       layout=layout)]

        self.idx = [(i, start) for i, bucket_rows in enumerate(self.data)
                    for start in range(0, len(bucket_rows) - batch_size + 1,
                                       batch_size)]
        self.curr_idx = 0
        self.reset()

    def _shape(self, length):
        if self.major_axis == 0:
            return (self.batch_size, length)
        return (length, self.batch_size)

    def reset(self):
        """Back to the first batch, with the batches and each bucket's
        sentences shuffled again."""
        self.curr_idx = 0
        random.shuffle(self.idx)
        for bucket_rows in self.data:
            np.random.shuffle(bucket_rows)
        self.nddata = []
        self.ndlabel = []
        for bucket_rows in self.data:
            label = np.empty_like(bucket_rows)
            label[:, :-1] = bucket_rows[:, 1:]
            label[:, -1] = self.invalid_label
            self.nddata.append(ndarray.array(bucket_rows, dtype=self.dtype))
            self.ndlabel.append(ndarray.array(label, dtype=self.dtype))

    def next(self):
        """The next DataBatch; StopIteration after the last."""
        if self.curr_idx == len(self.idx):
            raise StopIteration
        i, start = self.idx[self.curr_idx]
        self.curr_idx += 1
        data = self.nddata[i][start:start + self.batch_size]
        label = self.ndlabel[i][start:start + self.batch_size]
        if self.major_axis == 1:
            data, label = data.T, label.T
        return DataBatch(
            [data], [label], pad=0, bucket_key=self.buckets[i],
            provide_data=[DataDesc(name=self.data_name, shape=data.shape,
                                   layout=self.layout)],
            provide_label=[DataDesc(name=self.label_name, shape=label.shape,
                                    layout=self.layout)])
