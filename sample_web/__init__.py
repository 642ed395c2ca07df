"""A fictional web that mirrors the structure of ACGME public listings and program websites.

Every name, page and fact here is generated and marked SAMPLE; nothing describes a real program.
"""
