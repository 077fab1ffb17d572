"""The progress bar of a rebuild or a verify: it tells when the log has been read and the
read models are being written (seconds of a full rebuild the count of events cannot show)."""

from api.progress import AFTER_THE_LOG, progress_bar


def test_the_bar_says_the_log_is_read_while_the_read_models_are_written(capsys):
    with progress_bar(5000, "rebuild", rebuilding=["ledger"]) as tick:
        for position in range(1, 5001):
            tick({"position": position})
        while_writing = capsys.readouterr().err
    assert AFTER_THE_LOG in while_writing
    assert "done" in capsys.readouterr().err


def test_the_bar_does_not_say_it_before_the_end_of_the_log(capsys):
    with progress_bar(5000, "rebuild", rebuilding=["ledger"]) as tick:
        for position in range(1, 3001):
            tick({"position": position})
        halfway = capsys.readouterr().err
    assert AFTER_THE_LOG not in halfway


def test_a_verify_writes_nothing_after_the_log_and_does_not_say_so(capsys):
    with progress_bar(5000, "verify") as tick:
        for position in range(1, 5001):
            tick({"position": position})
    assert AFTER_THE_LOG not in capsys.readouterr().err
