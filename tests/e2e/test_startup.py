"""Start-up: a bad setting stops the broker with a message naming it (DESIGN.md section 9)."""

import subprocess

import pytest

from conftest import BROKER_BIN, Broker

EXIT_TIMEOUT_S = 15


@pytest.mark.parametrize("variable,value", [
    ("KAFSCALE_FLUSH_INTERVAL_MS", "soon"),
    ("KAFSCALE_FLUSH_INTERVAL_MS", "-5"),
    ("KAFSCALE_SEGMENT_BYTES", "0"),
    ("KAFSCALE_AUTO_CREATE_TOPICS", "maybe"),
    ("KAFSCALE_MAX_REQUEST_BYTES", "lots"),
    ("KAFSCALE_BROKER_PORT", "70000"),
])
def test_bad_value_stops_startup_naming_the_variable(tmp_path, variable, value):
    broker = Broker(tmp_path / "data", {variable: value})
    try:
        completed = subprocess.run([str(BROKER_BIN)], env=broker.environment(),
                                   capture_output=True, timeout=EXIT_TIMEOUT_S,
                                   stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as err:
        raise AssertionError(f"the broker started with {variable}={value!r}") from err
    output = (completed.stdout + completed.stderr).decode(errors="replace")
    assert completed.returncode != 0
    assert variable in output, f"the message does not name {variable}: {output[-500:]}"

