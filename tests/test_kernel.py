"""The runner's kernel manager drops ipykernel's transport warning and nothing else."""

from __future__ import annotations

import os
import threading

import pytest

from cases.run import kernel

WARNING_LINE = (
    b"[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication "
    b"(including code and outputs) is sent in plain text and is susceptible to eavesdropping.\n"
)


def test_forward_drops_only_the_transport_warning(tmp_path):
    read_fd, write_fd = os.pipe()
    target = tmp_path / "stderr.txt"
    out_fd = os.open(target, os.O_WRONLY | os.O_CREAT)
    thread = threading.Thread(target=kernel._forward, args=(read_fd, out_fd))
    thread.start()
    os.write(write_fd, b"[IPKernelApp] WARNING | something else\n")
    os.write(write_fd, WARNING_LINE)
    os.write(write_fd, b"Traceback (most recent call last):\n  no final newline")
    os.close(write_fd)
    thread.join(5)
    os.close(out_fd)
    assert not thread.is_alive()
    assert target.read_bytes() == (
        b"[IPKernelApp] WARNING | something else\n"
        b"Traceback (most recent call last):\n  no final newline"
    )


def test_the_dropped_line_is_what_ipykernel_logs():
    # If ipykernel rewords the warning, the filter silently stops working: fail here instead.
    import inspect

    from ipykernel import kernelapp

    source = inspect.getsource(kernelapp.IPKernelApp.init_sockets)
    assert kernel.TRANSPORT_WARNING.decode() in source


@pytest.mark.slow
def test_a_run_prints_no_transport_warning(small_project, cli):
    done = cli(small_project, "run", "w_town", "--force", "--jobs", "1")
    assert done.returncode == 0, done.stderr[-4000:]
    assert "without encryption" not in done.stderr + done.stdout
