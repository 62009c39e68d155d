module cprofiler.local/gateway

go 1.19
