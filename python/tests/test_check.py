import json

import pytest

import finecat

CONTEXT = "A man in a red shirt is playing the guitar on stage while a large crowd watches him."
ANSWER = "A man is performing music. Nobody is watching him. The concert was in Paris."


def test_matches_cli_json(cli, model_path, tmp_path):
    (tmp_path / "context.txt").write_text(CONTEXT)
    (tmp_path / "answer.txt").write_text(ANSWER)
    expected = json.loads(cli("check", "--json", "--model", model_path, "--context",
                              str(tmp_path / "context.txt"), "--answer", str(tmp_path / "answer.txt")))
    got = finecat.check(CONTEXT, ANSWER, model=model_path)
    assert got == expected
    assert [s["verdict"] for s in got["sentences"]][:2] == ["supported", "contradicted"]
    assert got["summary"] == {"supported": 1, "unsupported": 0, "contradicted": 2}
    assert [s["text"] for s in got["sentences"]] == ["A man is performing music.",
                                                     "Nobody is watching him.",
                                                     "The concert was in Paris."]


def test_thresholds_match_cli(cli, model_path, tmp_path):
    (tmp_path / "context.txt").write_text(CONTEXT)
    (tmp_path / "answer.txt").write_text(ANSWER)
    expected = json.loads(cli("check", "--json", "--model", model_path, "--support-threshold", "0.95",
                              "--contradiction-threshold", "0.99", "--context",
                              str(tmp_path / "context.txt"), "--answer", str(tmp_path / "answer.txt")))
    got = finecat.check(CONTEXT, ANSWER, model=model_path, support_threshold=0.95,
                        contradiction_threshold=0.99)
    assert got == expected


def test_byte_offsets_and_encoder_model(encoder):
    answer = "Le café est fermé. A man plays guitar."
    got = finecat.check(CONTEXT, answer, model=encoder)
    data = answer.encode()
    for sentence in got["sentences"]:
        assert data[sentence["start"]:sentence["end"]].decode() == sentence["text"]


def test_errors(model_path):
    with pytest.raises(ValueError, match="support_threshold"):
        finecat.check(CONTEXT, ANSWER, model=model_path, support_threshold=1.5)
    with pytest.raises(TypeError, match="answer"):
        finecat.check(CONTEXT, None, model=model_path)
    with pytest.raises(finecat.FinecatError):
        finecat.check(CONTEXT, ANSWER, model="/nonexistent/model")
