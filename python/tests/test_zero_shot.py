import json

import numpy as np
import pytest

import finecat

TEXTS = ["The striker scored twice in the second half and the home crowd went wild.",
         "Parliament passed the budget after a long night of debate.",
         "Whisk the eggs with sugar, then fold in the flour."]
LABELS = ["politics", "sports", "cooking"]
TEMPLATE = "This text is about {}."


@pytest.fixture(scope="module")
def classifier(model_path):
    return finecat.pipeline("zero-shot-classification", model=model_path)


def cli_zeroshot(cli, model_path, *options):
    out = cli("zeroshot", "--model", model_path, "--labels", ",".join(LABELS),
              "--template", TEMPLATE, *options, input="\n".join(TEXTS) + "\n")
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize("multi_label", [False, True])
def test_matches_cli(classifier, cli, model_path, multi_label):
    expected = cli_zeroshot(cli, model_path, *(["--multi-label"] if multi_label else []))
    got = classifier(TEXTS, LABELS, hypothesis_template=TEMPLATE, multi_label=multi_label)
    assert isinstance(got, list) and len(got) == len(TEXTS)
    for g, e in zip(got, expected):
        assert g["sequence"] == e["sequence"]
        assert g["labels"] == e["labels"]
        np.testing.assert_allclose(g["scores"], e["scores"], atol=1e-6, rtol=0)


def test_semantics_from_cross_encoder_logits(classifier, encoder):
    """The transformers pipeline's arithmetic, redone here from CrossEncoder logits."""
    entailment = [k for k, v in encoder.id2label.items() if v == "entailment"][0]
    contradiction = [k for k, v in encoder.id2label.items() if v == "contradiction"][0]
    for text in TEXTS:
        logits = encoder.predict([(text, TEMPLATE.format(label)) for label in LABELS])
        e = np.exp(logits[:, entailment].astype(np.float64))
        single = dict(zip(LABELS, e / e.sum()))
        pair = np.exp(logits[:, [entailment, contradiction]].astype(np.float64))
        multi = dict(zip(LABELS, pair[:, 0] / pair.sum(axis=1)))
        for multi_label, expected in [(False, single), (True, multi)]:
            got = classifier(text, LABELS, hypothesis_template=TEMPLATE, multi_label=multi_label)
            assert got["scores"] == sorted(got["scores"], reverse=True)
            for label, score in zip(got["labels"], got["scores"]):
                assert score == pytest.approx(expected[label], abs=1e-5)


def test_one_string_gives_a_dict_and_comma_labels_split(classifier):
    got = classifier(TEXTS[0], " politics, sports ,,cooking ", hypothesis_template=TEMPLATE)
    assert set(got) == {"sequence", "labels", "scores"}
    assert sorted(got["labels"]) == sorted(LABELS)
    assert got["labels"][0] == "sports"
    assert sum(got["scores"]) == pytest.approx(1.0, abs=1e-5)


def test_default_template_and_default_model(model_path, monkeypatch):
    monkeypatch.setenv("FINECAT_MODEL", model_path)
    assert finecat.default_model_path() == model_path
    default = finecat.pipeline("zero-shot-classification")
    named = finecat.pipeline("zero-shot-classification", model=model_path)
    assert default(TEXTS[1], LABELS) == named(TEXTS[1], LABELS,
                                              hypothesis_template="This example is {}.")


def test_shares_a_cross_encoders_model(encoder):
    classifier = finecat.pipeline("zero-shot-classification", model=encoder)
    assert classifier(TEXTS[2], LABELS)["labels"][0] == "cooking"


def test_errors(classifier):
    with pytest.raises(ValueError, match="zero-shot-classification"):
        finecat.pipeline("text-classification")
    with pytest.raises(ValueError, match="at least one label"):
        classifier(TEXTS[0], [])
    with pytest.raises(ValueError, match="at least one label"):
        classifier([], LABELS)
    with pytest.raises(ValueError, match="hypothesis_template"):
        classifier(TEXTS[0], LABELS, hypothesis_template="No placeholder here.")
