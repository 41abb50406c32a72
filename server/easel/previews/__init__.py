"""Drawing framed pieces: mouldings, mattes, canvas edges and the wall they hang on.

Nothing here knows about skus, HTTP or the database: a :class:`piece.Piece` (sizes in inches, a frame
profile, a matte, a canvas edge) and the artwork's pixels go in, a Pillow image comes out. Everything is
procedural and seeded by the frame's code, so the same piece always renders the same pixels and nothing
is downloaded. :mod:`easel.widget.previews` turns a configuration into a piece and caches the result.
"""
