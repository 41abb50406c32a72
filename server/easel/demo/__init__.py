"""The demo: a catalogue of generated artworks and the document's test merchant, loaded by `easel demo`."""
