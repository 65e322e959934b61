"""`BaseYTClient`, the name yt-framework gave its client's type
(yt_framework/yt/clients/client_base.py), for code that annotates or checks the client with
it (`def copy(client: BaseYTClient, ...)`). Here it is the protocol `self.deps.yt_client`
follows in dev and prod alike, so `isinstance(client, BaseYTClient)` holds for both."""

from __future__ import annotations

from yt_pipeline.client import TableClient

BaseYTClient = TableClient

__all__ = ["BaseYTClient"]
