package apicall

// The protobuf schema's generated Go (apicallpb) needs protoc (Debian
// protobuf-compiler) and protoc-gen-go on PATH: `make generate`.
//go:generate protoc --go_out=apicallpb --go_opt=paths=source_relative apicall.proto
