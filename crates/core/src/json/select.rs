//! `selectJson`: the byte ranges of the values that JSON Pointers (and wildcards) select. (In progress.)
