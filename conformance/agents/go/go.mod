module github.com/indexbus/indexbus/conformance/agents/go

go 1.22

require github.com/indexbus/indexbus/bindings/go v0.0.0

replace github.com/indexbus/indexbus/bindings/go => ../../../bindings/go
