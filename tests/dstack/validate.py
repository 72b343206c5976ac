"""Reads a dstack server config with dstack's own model, as the dstack server
does at start, and prints the parsed config as JSON; a file dstack would refuse
exits non-zero with dstack's message.

Usage: validate.py CONFIG
"""

import json
import sys

import yaml
from dstack._internal.server.services.config import ServerConfig


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        document = yaml.safe_load(file)
    config = ServerConfig.model_validate(document)
    print(json.dumps(config.model_dump(mode="json", exclude_none=True)))


if __name__ == "__main__":
    main()
