"""Mixture recipes to manifests and training shards: validated YAML in, SQL over the lake, files a trainer reads."""
