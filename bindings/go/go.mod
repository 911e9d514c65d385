module github.com/indexbus/indexbus/bindings/go

go 1.22
