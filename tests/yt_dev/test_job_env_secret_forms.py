"""A dev job inherits none of the driver's variables that hold a secret, in whatever form
the variable holds it. A password in a proxy URL is percent-encoded there (`@` as `%40`,
`/` as `%2F`: RFC 3986's userinfo), a Basic credential is base64: a check for the raw
value alone let both through, to a job that never asked for the secret."""

from __future__ import annotations

import base64
from urllib.parse import quote

from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.launcher import launch

SECRET = "p@ss/w0rd+Zq=9"
NAMES_MAPPER = """
import os
from ytjobs import read_rows, write_rows
list(read_rows())
write_rows([{"names": sorted(k for k in os.environ if k.startswith("COPY_"))}])
"""


def test_a_secret_encoded_in_an_inherited_variable_is_not_inherited(tmp_path, stages,
                                                                   monkeypatch):
    client = DevClient(tmp_path / "pipe" / ".dev", secret_values=[SECRET])
    stages("e", {"src/mapper.py": NAMES_MAPPER})
    monkeypatch.setenv("COPY_PROXY_URL", f"http://me:{quote(SECRET, safe='')}@proxy:3128")
    monkeypatch.setenv("COPY_BASIC_AUTH",
                       "Basic " + base64.b64encode(f"me:{SECRET}".encode()).decode())
    monkeypatch.setenv("COPY_HEX", SECRET.encode().hex())
    monkeypatch.setenv("COPY_UNRELATED", "http://me@proxy:3128")
    client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "e", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py")
    launch(client, spec)
    assert list(client.read_table("//out/t")) == [{"names": ["COPY_UNRELATED"]}]
