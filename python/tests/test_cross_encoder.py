import json
import os
import threading

import numpy as np
import pytest

import finecat
from conftest import PAIRS


def test_predict_matches_cli_logits(encoder, cli_predict):
    expected = np.array([record["logits"] for record in cli_predict(PAIRS)], dtype=np.float32)
    got = encoder.predict(PAIRS)
    assert got.dtype == np.float32 and got.shape == (len(PAIRS), 3)
    np.testing.assert_allclose(got, expected, atol=2e-5, rtol=0)


def test_predict_softmax_matches_cli_probabilities(encoder, cli_predict):
    records = cli_predict(PAIRS)
    labels = [encoder.id2label[i] for i in range(encoder.num_labels)]
    expected = np.array([[r["probabilities"][label] for label in labels] for r in records])
    got = encoder.predict(PAIRS, apply_softmax=True)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-6)
    assert [labels[i] for i in got.argmax(axis=1)] == [r["label"] for r in records]


def test_single_pair_is_one_dimensional_and_matches_nli_json(encoder, cli, model_path):
    premise, hypothesis = PAIRS[0]
    record = json.loads(cli("nli", "--json", "--model", model_path, premise, hypothesis))
    for pair in [(premise, hypothesis), [premise, hypothesis]]:
        got = encoder.predict(pair)
        assert got.shape == (3,)
        np.testing.assert_allclose(got, record["logits"], atol=2e-5, rtol=0)
    assert encoder.id2label[int(encoder.predict(PAIRS[0]).argmax())] == record["label"]


def test_empty_list_gives_an_empty_array(encoder):
    got = encoder.predict([])
    assert got.shape == (0, 3) and got.dtype == np.float32


def test_batch_size_does_not_change_the_numbers(encoder):
    np.testing.assert_allclose(encoder.predict(PAIRS, batch_size=1),
                               encoder.predict(PAIRS, batch_size=32), atol=2e-5, rtol=0)


def test_max_length_matches_cli(model_path, cli_predict):
    short = finecat.CrossEncoder(model_path, max_length=8)
    assert short.max_length == 8
    expected = [r["logits"] for r in cli_predict(PAIRS[:6], "--max-length", "8")]
    np.testing.assert_allclose(short.predict(PAIRS[:6]), expected, atol=2e-5, rtol=0)
    full = finecat.CrossEncoder(model_path)
    assert not np.allclose(short.predict(PAIRS[:6]), full.predict(PAIRS[:6]), atol=1e-3)


def test_dtype_matches_cli_or_fails_the_same_way(model_path, cli_predict):
    expected = [r["logits"] for r in cli_predict(PAIRS[:4], "--dtype", "int8")]
    got = finecat.CrossEncoder(model_path, dtype="int8").predict(PAIRS[:4])
    np.testing.assert_allclose(got, expected, atol=2e-5, rtol=0)
    with pytest.raises(ValueError, match="dtype 'f8'"):
        finecat.CrossEncoder(model_path, dtype="f8")


def test_id2label_is_the_config(encoder, model_path):
    with open(os.path.join(model_path, "config.json")) as f:
        config = json.load(f)
    assert encoder.id2label == {int(k): v for k, v in config["id2label"].items()}


def test_load_errors_carry_the_library_message(tmp_path):
    with pytest.raises(finecat.FinecatError, match="no such directory") as caught:
        finecat.CrossEncoder(str(tmp_path / "no-such-model"))
    assert str(tmp_path / "no-such-model") in str(caught.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(finecat.FinecatError, match="config.json"):
        finecat.CrossEncoder(tmp_path / "empty")


def test_bad_pairs_are_python_errors(encoder):
    with pytest.raises(TypeError, match="pair 1"):
        encoder.predict([("a", "b"), ("only one",)])
    with pytest.raises(TypeError, match="pair 0 hypothesis"):
        encoder.predict([("a", 3)])
    with pytest.raises(ValueError, match="NUL"):
        encoder.predict([("a\0b", "c")])
    with pytest.raises(ValueError, match="batch_size"):
        encoder.predict(PAIRS, batch_size=0)


def test_rank_scores_are_entailment_of_document_then_query(encoder):
    query = "A person is making music."
    documents = ["The cat sleeps on the sofa.", "A man is playing a guitar on stage.",
                 "Nobody is playing an instrument.", "A woman sings a song."]
    ranked = encoder.rank(query, documents, return_documents=True)
    probs = encoder.predict([(d, query) for d in documents], apply_softmax=True)
    entailment = [k for k, v in encoder.id2label.items() if v == "entailment"][0]
    assert sorted(r["corpus_id"] for r in ranked) == list(range(len(documents)))
    scores = [r["score"] for r in ranked]
    assert scores == sorted(scores, reverse=True)
    for r in ranked:
        assert r["text"] == documents[r["corpus_id"]]
        assert r["score"] == pytest.approx(float(probs[r["corpus_id"], entailment]), abs=1e-6)
    assert ranked[0]["corpus_id"] == 1
    top = encoder.rank(query, documents, top_k=2)
    assert top == [{"corpus_id": r["corpus_id"], "score": r["score"]} for r in ranked[:2]]


def test_threads_share_one_model(encoder):
    expected = encoder.predict(PAIRS)
    results = [None] * 4

    def work(i):
        results[i] = encoder.predict(PAIRS)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got in results:
        np.testing.assert_allclose(got, expected, atol=2e-5, rtol=0)


def test_library_version():
    assert finecat.library_version() == finecat.__version__
