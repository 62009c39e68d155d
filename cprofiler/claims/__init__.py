"""Claims checked against measurements: a claims file's figures, read from results files, judged."""
