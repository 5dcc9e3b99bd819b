"""The Jupyter kernel manager the runner gives papermill: it drops one known log line.

ipykernel logs "Kernel is running over TCP without encryption. ..." at WARNING level from the
kernel process itself, once per kernel start, on the stderr it inherits from the runner: a
whole-book build printed it for every notebook and real errors drowned. The kernels only talk
to this machine's loopback interface. :class:`QuietKernelManager` gives each kernel a pipe as
stderr and copies every other byte to the runner's own stderr (file descriptor 2, as before),
so crash tracebacks and every other kernel message still show.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from jupyter_client import AsyncKernelManager

#: The one line that is dropped (ipykernel.kernelapp, ``IPKernelApp.init_sockets``).
TRANSPORT_WARNING = b"Kernel is running over TCP without encryption."

_forwarders: list[threading.Thread] = []
_forwarders_lock = threading.Lock()


def _forward(read_fd: int, target_fd: int) -> None:
    """Copy lines from ``read_fd`` to ``target_fd`` until end of file, except the transport
    warning. Never raises: a failed write must not leave the kernel blocked on a full pipe."""
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        for line in iter(pipe.readline, b""):
            if TRANSPORT_WARNING in line:
                continue
            try:
                os.write(target_fd, line)
            except OSError:
                pass


class QuietKernelManager(AsyncKernelManager):
    """An :class:`~jupyter_client.AsyncKernelManager` whose kernels' stderr passes through a
    filter that drops :data:`TRANSPORT_WARNING` and nothing else."""

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        if kw.get("stderr") is not None:  # the caller chose a stderr: leave it alone
            await super()._async_launch_kernel(kernel_cmd, **kw)
            return
        read_fd, write_fd = os.pipe()
        try:
            await super()._async_launch_kernel(kernel_cmd, **dict(kw, stderr=write_fd))
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)  # the kernel holds its own copy; EOF comes when it exits
        thread = threading.Thread(
            target=_forward, args=(read_fd, 2), name="kernel-stderr", daemon=True
        )
        thread.start()
        with _forwarders_lock:
            _forwarders.append(thread)


def drain(timeout: float = 2.0) -> None:
    """Wait (up to ``timeout`` seconds each) until the kernels that have exited have had their
    last stderr lines copied, so nothing they printed is lost when the runner exits."""
    with _forwarders_lock:
        threads, _forwarders[:] = list(_forwarders), []
    for thread in threads:
        thread.join(timeout)
