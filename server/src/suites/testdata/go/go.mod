module rigsuitefixture

go 1.24.0
