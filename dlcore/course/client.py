"""The kernel client of grading kernels: ready as soon as the kernel is.

jupyter_client's ``wait_for_ready`` sends ``kernel_info`` requests until one is
answered, checks that IOPub is connected by waiting up to 0.2 s for *any*
IOPub message, and finally drains IOPub until it has been silent for 0.2 s.
That last wait alone costs every graded submission 0.2 s.

:class:`GradingKernelClient` waits for what readiness means instead: the
reply to its ``kernel_info`` request on the shell channel, and a status
message of *that* request on IOPub (so IOPub is subscribed). Later IOPub
messages of the request need no draining: nbclient only reads the messages of
the cell it runs.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient

__all__ = ["GradingKernelClient"]


class GradingKernelClient(AsyncKernelClient):
    """An asynchronous kernel client whose ``wait_for_ready`` does not sleep."""

    async def _message_of(self, channel: Any, msg_id: str, seconds: float) -> dict[str, Any] | None:
        """The first message on ``channel`` answering ``msg_id`` within ``seconds``, or None."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await channel.get_msg(timeout=left)
            except Empty:
                return None
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        return None

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel has answered ``kernel_info`` on shell and IOPub; RuntimeError otherwise."""
        end = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            msg_id = self.kernel_info()
            reply = await self._message_of(self.shell_channel, msg_id, 1.0)
            # IOPub published this request's "busy" status before the reply was sent: unless the
            # subscription was not in place yet (then ask again), it is there within milliseconds
            if reply is not None and await self._message_of(self.iopub_channel, msg_id, 0.05) is not None:
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > end:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    wait_for_ready = _async_wait_for_ready
