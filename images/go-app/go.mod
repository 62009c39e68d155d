module cprofiler.local/sample

go 1.19
