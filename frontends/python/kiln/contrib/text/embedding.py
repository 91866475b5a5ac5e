"""Token embeddings, as MXNet 1.9.1's mxnet.contrib.text.embedding.

    glove = create("glove", pretrained_file_name="glove.6B.50d.txt")
    glove.get_vecs_by_tokens(["hello", "world"])     # NDArray (2, 50)
    mine = CustomEmbedding("vectors.txt", elem_delim=" ")
    both = CompositeEmbedding(vocabulary, [glove, mine])

A pre-trained file is read from <embedding_root>/<glove|fasttext>/<file>
(embedding_root defaults to $MXNET_HOME/embeddings, i.e.
~/.mxnet/embeddings): a file already there is used as it is (kiln does
not check MXNet's SHA-1 sums, so a file fetched by hand is accepted);
otherwise its archive is downloaded from the Gluon repository
($MXNET_GLUON_REPO) and unpacked. Without a network that raises
MXNetError naming the URL and the path to put the file at.
"""
import logging
import os
import tarfile
import warnings
import zipfile

from . import _constants as C
from . import vocab
from ... import base
from ... import ndarray as nd
from ... import registry

__all__ = ["register", "create", "get_pretrained_file_names", "GloVe",
           "FastText", "CustomEmbedding", "CompositeEmbedding"]


def register(embedding_cls):
    """Registers a _TokenEmbedding subclass under its lower-cased class
    name, for create and get_pretrained_file_names; returns it (a class
    decorator). The class lists its files in `pretrained_file_name_sha1`
    (a dict whose keys are the file names)."""
    return registry.get_register_func(_TokenEmbedding,
                                      "token embedding")(embedding_cls)


def create(embedding_name, **kwargs):
    """An instance of the embedding registered as `embedding_name`
    ('glove', 'fasttext', or one registered), built with `kwargs`
    (e.g. pretrained_file_name). AssertionError for an unknown name."""
    return registry.get_create_func(_TokenEmbedding, "token embedding")(
        embedding_name, **kwargs)


def get_pretrained_file_names(embedding_name=None):
    """The pre-trained file names of `embedding_name` (a list), or, with
    None, a dict {embedding name: list} over all registered embeddings.
    KeyError for an unregistered name, as MXNet raises."""
    table = registry.get_registry(_TokenEmbedding)
    if embedding_name is None:
        return {name: list(cls.pretrained_file_name_sha1)
                for name, cls in table.items()}
    if embedding_name not in table:
        raise KeyError("Cannot find `embedding_name` %s. Use "
                       "`get_pretrained_file_names(embedding_name=None)"
                       ".keys()` to get all the valid embedding names."
                       % embedding_name)
    return list(table[embedding_name].pretrained_file_name_sha1)


def _default_root():
    return os.path.join(base.data_dir(), "embeddings")


class _TokenEmbedding(vocab.Vocabulary):
    """A Vocabulary whose tokens have vectors: idx_to_vec, an NDArray
    (len(self), vec_len) whose row 0 is the unknown token's vector."""

    # File name -> SHA-1 in MXNet; kiln keeps the names only (values None).
    pretrained_file_name_sha1 = {}

    def __init__(self, **kwargs):
        super(_TokenEmbedding, self).__init__(**kwargs)

    @classmethod
    def _get_download_file_name(cls, pretrained_file_name):
        return pretrained_file_name

    @classmethod
    def _get_pretrained_file_url(cls, pretrained_file_name):
        from ...gluon.utils import _get_repo_url
        return "%sgluon/embeddings/%s/%s" % (
            _get_repo_url(), cls.__name__.lower(),
            cls._get_download_file_name(pretrained_file_name))

    @classmethod
    def _get_pretrained_file(cls, embedding_root, pretrained_file_name):
        """The local path of `pretrained_file_name`, downloading and
        unpacking its archive when it is not there yet."""
        from ...gluon.utils import download
        folder = os.path.join(os.path.expanduser(embedding_root),
                              cls.__name__.lower())
        path = os.path.join(folder, pretrained_file_name)
        if os.path.isfile(path):
            return path
        url = cls._get_pretrained_file_url(pretrained_file_name)
        archive = os.path.join(folder, os.path.basename(url))
        os.makedirs(folder, exist_ok=True)
        try:
            download(url, archive)
        except base.MXNetError as error:
            raise base.MXNetError(
                "cannot get the pre-trained %s file %s: %s. Put the file "
                "itself at %s to use it offline"
                % (cls.__name__, pretrained_file_name, error, path)) from None
        if archive.endswith(".zip"):
            with zipfile.ZipFile(archive, "r") as packed:
                packed.extractall(folder)
        elif archive.endswith(".gz"):
            with tarfile.open(archive, "r:gz") as packed:
                packed.extractall(path=folder)
        return path

    def _load_embedding(self, pretrained_file_path, elem_delim,
                        init_unknown_vec, encoding="utf8"):
        """Appends the tokens of a text file of '<token><delim><v1>...'
        lines and sets idx_to_vec. A line for the unknown token gives row
        0 (else init_unknown_vec(shape=vec_len)); repeated tokens and
        one-number lines (headers) are skipped with a warning. ValueError
        when the file does not exist; AssertionError for a line without a
        vector or of another length than the first, naming the line."""
        pretrained_file_path = os.path.expanduser(pretrained_file_path)
        if not os.path.isfile(pretrained_file_path):
            raise ValueError("`pretrained_file_path` must be a valid path to "
                             "the pre-trained token embedding file.")
        logging.info("Loading pre-trained token embedding vectors from %s",
                     pretrained_file_path)
        vec_len = None
        rows = []
        seen = set()
        unknown_vec = None
        with open(pretrained_file_path, "r", encoding=encoding) as handle:
            for line_num, line in enumerate(handle, 1):
                elems = line.rstrip().split(elem_delim)
                assert len(elems) > 1, (
                    "At line %d of the pre-trained text embedding file: the "
                    "data format of the pre-trained token embedding file %s "
                    "is unexpected." % (line_num, pretrained_file_path))
                token, values = elems[0], [float(v) for v in elems[1:]]
                if token == self.unknown_token and unknown_vec is None:
                    unknown_vec = values
                    seen.add(token)
                elif token in seen:
                    warnings.warn(
                        "At line %d of the pre-trained token embedding file: "
                        "the embedding vector for token %s has been loaded "
                        "and a duplicate embedding for the  same token is "
                        "seen and skipped." % (line_num, token))
                elif len(values) == 1:
                    warnings.warn(
                        "At line %d of the pre-trained text embedding file: "
                        "token %s with 1-dimensional vector %s is likely a "
                        "header and is skipped." % (line_num, token, values))
                else:
                    if vec_len is None:
                        vec_len = len(values)
                    assert len(values) == vec_len, (
                        "At line %d of the pre-trained token embedding file: "
                        "the dimension of token %s is %d but the dimension "
                        "of previous tokens is %d. Dimensions of all the "
                        "tokens must be the same."
                        % (line_num, token, len(values), vec_len))
                    rows.append(values)
                    self._idx_to_token.append(token)
                    self._token_to_idx[token] = len(self._idx_to_token) - 1
                    seen.add(token)
        self._vec_len = vec_len
        flat = [0.0] * vec_len + [v for row in rows for v in row]
        self._idx_to_vec = nd.array(flat).reshape((-1, vec_len))
        if unknown_vec is None:
            self._idx_to_vec[C.UNKNOWN_IDX] = init_unknown_vec(shape=vec_len)
        else:
            self._idx_to_vec[C.UNKNOWN_IDX] = nd.array(unknown_vec)

    def _index_tokens_from_vocabulary(self, vocabulary):
        self._token_to_idx = dict(vocabulary.token_to_idx)
        self._idx_to_token = list(vocabulary.idx_to_token)
        self._unknown_token = vocabulary.unknown_token
        self._reserved_tokens = (None if vocabulary.reserved_tokens is None
                                 else list(vocabulary.reserved_tokens))

    def _set_idx_to_vec_by_embeddings(self, token_embeddings, vocab_len,
                                      vocab_idx_to_token):
        """idx_to_vec for the tokens `vocab_idx_to_token`: the vectors of
        `token_embeddings` side by side (row 0: their unknown vectors)."""
        new_vec_len = sum(embed.vec_len for embed in token_embeddings)
        table = nd.zeros((vocab_len, new_vec_len))
        start = 0
        for embed in token_embeddings:
            end = start + embed.vec_len
            table[0, start:end] = embed.idx_to_vec[0]
            if vocab_len > 1:
                table[1:, start:end] = embed.get_vecs_by_tokens(
                    list(vocab_idx_to_token[1:]))
            start = end
        self._vec_len = new_vec_len
        self._idx_to_vec = table

    def _build_embedding_for_vocabulary(self, vocabulary):
        if vocabulary is not None:
            assert isinstance(vocabulary, vocab.Vocabulary), \
                "The argument `vocabulary` must be an instance of " \
                "mxnet.contrib.text.vocab.Vocabulary."
            self._set_idx_to_vec_by_embeddings([self], len(vocabulary),
                                               vocabulary.idx_to_token)
            self._index_tokens_from_vocabulary(vocabulary)

    @property
    def vec_len(self):
        """The length of each vector (int)."""
        return self._vec_len

    @property
    def idx_to_vec(self):
        """NDArray (len(self), vec_len): the vector of each index."""
        return self._idx_to_vec

    def get_vecs_by_tokens(self, tokens, lower_case_backup=False):
        """The vector of a token (NDArray (vec_len,)) or of a list of tokens
        (NDArray (len(tokens), vec_len)); unknown tokens get row 0. With
        lower_case_backup, a token not found is looked up lower-cased."""
        single = not isinstance(tokens, list)
        if single:
            tokens = [tokens]
        lookup = self.token_to_idx
        if lower_case_backup:
            indices = [lookup[t] if t in lookup
                       else lookup.get(t.lower(), C.UNKNOWN_IDX)
                       for t in tokens]
        else:
            indices = [lookup.get(t, C.UNKNOWN_IDX) for t in tokens]
        vecs = nd.Embedding(nd.array(indices), self.idx_to_vec,
                            self.idx_to_vec.shape[0],
                            self.idx_to_vec.shape[1])
        return vecs[0] if single else vecs

    def update_token_vectors(self, tokens, new_vectors):
        """Sets the vectors of known `tokens` (a token or a list) to
        `new_vectors` (NDArray (vec_len,) or (len(tokens), vec_len)).
        AssertionError for a wrongly shaped new_vectors, ValueError naming
        a token not in the vocabulary, as MXNet raises."""
        assert self.idx_to_vec is not None, \
            "The property `idx_to_vec` has not been properly set."
        if not isinstance(tokens, list) or len(tokens) == 1:
            assert (isinstance(new_vectors, nd.NDArray) and
                    len(new_vectors.shape) in (1, 2)), \
                "`new_vectors` must be a 1-D or 2-D NDArray if `tokens` is " \
                "a singleton."
            if not isinstance(tokens, list):
                tokens = [tokens]
            if len(new_vectors.shape) == 1:
                new_vectors = nd.expand_dims(new_vectors, axis=0)
        else:
            assert (isinstance(new_vectors, nd.NDArray) and
                    len(new_vectors.shape) == 2), \
                "`new_vectors` must be a 2-D NDArray if `tokens` is a list " \
                "of multiple strings."
        assert new_vectors.shape == (len(tokens), self.vec_len), \
            "The length of new_vectors must be equal to the number of " \
            "tokens and the width ofnew_vectors must be equal to the " \
            "dimension of embeddings of the glossary."
        indices = []
        for token in tokens:
            if token not in self.token_to_idx:
                raise ValueError(
                    "Token %s is unknown. To update the embedding vector for "
                    "an unknown token, please specify it explicitly as the "
                    "`unknown_token` %s in `tokens`. This is to avoid "
                    "unintended updates."
                    % (token, self.idx_to_token[C.UNKNOWN_IDX]))
            indices.append(self.token_to_idx[token])
        for row, index in enumerate(indices):
            self._idx_to_vec[index] = new_vectors[row]

    @classmethod
    def _check_pretrained_file_names(cls, pretrained_file_name):
        """KeyError listing the valid names when `pretrained_file_name` is
        not one of the class's."""
        name = cls.__name__.lower()
        if pretrained_file_name not in cls.pretrained_file_name_sha1:
            raise KeyError(
                "Cannot find pretrained file %s for token embedding %s. "
                "Valid pretrained files for embedding %s: %s"
                % (pretrained_file_name, name, name,
                   ", ".join(cls.pretrained_file_name_sha1)))


@register
class GloVe(_TokenEmbedding):
    """GloVe vectors (Pennington et al., 2014) from one of
    get_pretrained_file_names('glove') (default 'glove.840B.300d.txt').

    embedding_root: the folder holding glove/<file> (see the module
    docstring). init_unknown_vec: makes the unknown token's vector
    (default nd.zeros). vocabulary: a Vocabulary to index instead of the
    file's tokens. Other keyword arguments go to Vocabulary. KeyError for
    an unknown file name.
    """
    pretrained_file_name_sha1 = dict.fromkeys(C.GLOVE_FILES)
    pretrained_archive_name_sha1 = dict.fromkeys(C.GLOVE_ARCHIVES)

    @classmethod
    def _get_download_file_name(cls, pretrained_file_name):
        # The archive whose corpus field (6B, 42B, twitter, ...) matches.
        corpus = pretrained_file_name.split(".")[1]
        return next(archive for archive in C.GLOVE_ARCHIVES
                    if archive.split(".")[1] == corpus)

    def __init__(self, pretrained_file_name="glove.840B.300d.txt",
                 embedding_root=None, init_unknown_vec=nd.zeros,
                 vocabulary=None, **kwargs):
        GloVe._check_pretrained_file_names(pretrained_file_name)
        super(GloVe, self).__init__(**kwargs)
        path = GloVe._get_pretrained_file(embedding_root or _default_root(),
                                          pretrained_file_name)
        self._load_embedding(path, " ", init_unknown_vec)
        if vocabulary is not None:
            self._build_embedding_for_vocabulary(vocabulary)


@register
class FastText(_TokenEmbedding):
    """fastText vectors (Bojanowski et al., 2016) from one of
    get_pretrained_file_names('fasttext') (default 'wiki.simple.vec');
    arguments as GloVe's."""
    pretrained_file_name_sha1 = dict.fromkeys(C.FAST_TEXT_FILES)

    @classmethod
    def _get_download_file_name(cls, pretrained_file_name):
        return pretrained_file_name.rsplit(".", 1)[0] + ".zip"

    def __init__(self, pretrained_file_name="wiki.simple.vec",
                 embedding_root=None, init_unknown_vec=nd.zeros,
                 vocabulary=None, **kwargs):
        FastText._check_pretrained_file_names(pretrained_file_name)
        super(FastText, self).__init__(**kwargs)
        path = FastText._get_pretrained_file(
            embedding_root or _default_root(), pretrained_file_name)
        self._load_embedding(path, " ", init_unknown_vec)
        if vocabulary is not None:
            self._build_embedding_for_vocabulary(vocabulary)


class CustomEmbedding(_TokenEmbedding):
    """Vectors from a local text file of '<token><elem_delim><v1>...' lines
    (`encoding`, default utf8); other arguments as GloVe's. ValueError when
    the file does not exist."""

    def __init__(self, pretrained_file_path, elem_delim=" ", encoding="utf8",
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        super(CustomEmbedding, self).__init__(**kwargs)
        self._load_embedding(pretrained_file_path, elem_delim,
                             init_unknown_vec, encoding)
        if vocabulary is not None:
            self._build_embedding_for_vocabulary(vocabulary)


class CompositeEmbedding(_TokenEmbedding):
    """The tokens of `vocabulary` with the vectors of `token_embeddings` (an
    embedding or a list of them) concatenated. AssertionError when the
    arguments are not a Vocabulary and embeddings."""

    def __init__(self, vocabulary, token_embeddings):
        assert isinstance(vocabulary, vocab.Vocabulary), \
            "The argument `vocabulary` must be an instance of " \
            "mxnet.contrib.text.indexer.Vocabulary."
        if not isinstance(token_embeddings, list):
            token_embeddings = [token_embeddings]
        for embed in token_embeddings:
            assert isinstance(embed, _TokenEmbedding), \
                "The argument `token_embeddings` must be an instance or a " \
                "list of instances of `mxnet.contrib.text.embedding." \
                "TextEmbedding` whose embedding vectors will be" \
                "loaded or concatenated-then-loaded to map to the indexed " \
                "tokens."
        self._index_tokens_from_vocabulary(vocabulary)
        self._set_idx_to_vec_by_embeddings(token_embeddings, len(self),
                                           self.idx_to_token)
