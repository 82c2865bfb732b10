//! libvips: the only unsafe code in the crate. Executes an [`crate::iiif::Plan`].
