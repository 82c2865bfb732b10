# `sam build` entry point (template.yaml: Metadata BuildMethod makefile). SAM runs
# `make build-<LogicalId>` with ARTIFACTS_DIR set and tells it no architecture;
# scripts/sam-build reads the one SAM resolved for that function from its build graph,
# runs scripts/package-lambda (release bootstrap, libvips, its libraries, glibc's loader
# and libc) for it, stages the bundle and checks its ELF machine.
.PHONY: build-TesseraFunction build-MetadataFunction
build-TesseraFunction:
	scripts/sam-build TesseraFunction bootstrap

# The optional create-metadata-on-upload function (parameter CreateMetadataOnUpload).
build-MetadataFunction:
	scripts/sam-build MetadataFunction metadata-bootstrap
