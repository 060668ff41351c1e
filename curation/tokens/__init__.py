"""Tokens: tokenizer files a recipe names, real token counts per document, and Megatron-LM's indexed dataset."""
