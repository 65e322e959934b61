"""A YT error's messages are cut to MAX_MESSAGE on one line (failures.summary). A cut
through a secret a message quotes (a value the cluster refused, an operation's error)
left the start of it, which no form of the secret matches: masked before the cut, none
of it is left, in the stage's error and in an operation's failure alike."""

from __future__ import annotations

import pytest

pytest.importorskip("yt_pipeline_prod")

from yt.wrapper.errors import YtResponseError  # noqa: E402 - after the skip

from yt_pipeline_prod.failed_jobs import failure_message  # noqa: E402
from yt_pipeline_prod.failures import MAX_MESSAGE, convert  # noqa: E402

SECRET = "key-Zq8Rw51x-Tt9Pp44m"


#: the message ytsaurus-client's YtResponseError puts around the cluster's error
RESPONSE = "Received response with error: "


def refused(before: int) -> dict:
    """A cluster's error whose inner message quotes the secret after `before` characters
    of the one-line text summary makes of it (the outer message and ": " come first)."""
    outer = "Error setting attribute"
    padding = "v" * (before - len(outer) - 2 - len("Bad value '"))
    return {"code": 1, "message": outer, "attributes": {},
            "inner_errors": [{"code": 1, "message": f"Bad value '{padding}{SECRET}' for x",
                              "attributes": {}, "inner_errors": []}]}


def pieces(size: int = 6) -> list[str]:
    return [SECRET[at:at + size] for at in range(len(SECRET) - size + 1)]


@pytest.mark.parametrize("cut_into", [6, 12])
def test_a_stage_error_cut_shows_no_start_of_a_secret(cut_into):
    error = YtResponseError(refused(MAX_MESSAGE - 3 - cut_into - len(RESPONSE)))
    message = str(convert(error, "set", "//home/t/@x", "proxy:80", [SECRET]))
    assert message.startswith(f"set //home/t/@x: {RESPONSE}Error setting attribute: Bad value 'vvv")
    assert "***" in message
    assert [piece for piece in pieces() if piece in message] == []


def test_an_operation_failure_cut_shows_no_start_of_a_secret():
    message = failure_message("map", "failed", refused(MAX_MESSAGE - 3 - 10), None, None, 1,
                              [SECRET])
    assert message.startswith("map operation failed: Error setting attribute: Bad value")
    assert "***" in message
    assert [piece for piece in pieces() if piece in message] == []
