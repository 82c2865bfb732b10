# `sam build` entry point (template.yaml: Metadata BuildMethod makefile). SAM runs
# `make build-TesseraFunction` with ARTIFACTS_DIR set; scripts/package-lambda builds the
# release bootstrap, bundles libvips, its libraries, glibc's loader and libc, and stages
# the bundle there. SAM does not tell a makefile the function's architecture, so it is
# TESSERA_ARCH, which must match the template's Architecture parameter.
TESSERA_ARCH ?= arm64

.PHONY: build-TesseraFunction build-MetadataFunction
build-TesseraFunction:
	scripts/package-lambda --stage "$(ARTIFACTS_DIR)" $(TESSERA_ARCH)

# The optional create-metadata-on-upload function (parameter CreateMetadataOnUpload).
build-MetadataFunction:
	scripts/package-lambda --bin metadata-bootstrap --stage "$(ARTIFACTS_DIR)" $(TESSERA_ARCH)
