"""Token ids in, `Step`s out: sampling, the generation loop, the scheduler that batches every session.

Layer: imports only `mirror.config`, `mirror.text` and torch. Models are reached through the
contracts in `protocols.py`.
"""
