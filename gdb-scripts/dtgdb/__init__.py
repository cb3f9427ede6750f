"""gdb front end of the Dovetail toolkit, one topic per module:
target (the dtcore Target over gdb), commands (dt-*), kaslr (dt-kaslr)."""
