"""`pulumi up` entry point where a Python language host is installed; automation.py runs the same
program through the Automation API where it is not."""

from hardened_nginx import program

program()
