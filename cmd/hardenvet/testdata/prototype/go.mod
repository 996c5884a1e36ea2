module example.com/prototype

go 1.26
