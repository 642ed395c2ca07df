"""The `smartpick` command line (commands.py): a thin shell over the stages."""
