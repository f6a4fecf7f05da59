package fakewecom

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"
)

// Temporary media: media/upload (上传临时素材,
// https://developer.work.weixin.qq.com/document/path/90253) stores a file
// under a new media_id; media/get serves it, message/send msgtype file
// sends it.

// Media is a stored media file: uploaded, or preset through Options.Media
// (then Name is its media_id and Type empty).
type Media struct {
	ID          string
	Type        string // image, voice, video, file
	Name        string // the upload's filename, shown by WeCom
	ContentType string // of the uploaded part
	Data        []byte
	At          time.Time
}

// Media returns a stored file by media_id: an uploaded one, or one of
// Options.Media.
func (s *Server) Media(id string) (Media, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.uploads[id]; ok {
		return m, true
	}
	if data, ok := s.opts.Media[id]; ok {
		return Media{ID: id, Name: id, Data: data}, true
	}
	return Media{}, false
}

// Uploads returns every uploaded file, in upload order.
func (s *Server) Uploads() []Media {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Media, 0, len(s.uploadLog))
	for _, id := range s.uploadLog {
		out = append(out, s.uploads[id])
	}
	return out
}

func (s *Server) hasMedia(id string) bool {
	_, ok := s.Media(id)
	return ok
}

// mediaLimit is the size limit of a media type; 0 for an unknown type.
func mediaLimit(typ string) int {
	switch typ {
	case "file":
		return MaxFileBytes
	case "image", "video":
		return MaxImageBytes
	case "voice":
		return MaxVoiceBytes
	}
	return 0
}

// handleUpload serves media/upload: a multipart/form-data POST whose part
// named "media" is the file (its filename is what WeCom shows). It answers
// 40004 for an unknown type, 44001 without a media part or with an empty
// file, 40006 for a file of at most MinFileBytes and 45001 for one over the
// type's limit.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, body []byte) {
	if !s.postWithToken(w, r) {
		return
	}
	typ := r.URL.Query().Get("type")
	limit := mediaLimit(typ)
	if limit == 0 {
		s.fail(w, CodeInvalidMediaType)
		return
	}
	if int64(len(body)) > bodyLimit(EndpointUpload) {
		s.fail(w, CodeMediaTooLarge)
		return
	}
	ctype, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ctype != "multipart/form-data" || params["boundary"] == "" {
		s.fail(w, CodeEmptyMedia)
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var part *multipart.Part
	for {
		p, err := mr.NextPart()
		if err != nil {
			s.fail(w, CodeEmptyMedia)
			return
		}
		if p.FormName() == "media" && p.FileName() != "" {
			part = p
			break
		}
	}
	data, err := io.ReadAll(part)
	switch {
	case err != nil || len(data) == 0:
		s.fail(w, CodeEmptyMedia)
		return
	case len(data) <= MinFileBytes:
		s.fail(w, CodeInvalidFileSize)
		return
	case len(data) > limit:
		s.fail(w, CodeMediaTooLarge)
		return
	}
	s.mu.Lock()
	now := s.opts.Now()
	s.mediaSeq++
	id := fmt.Sprintf("fakemedia-%s-%08d", typ, s.mediaSeq)
	s.uploads[id] = Media{
		ID:          id,
		Type:        typ,
		Name:        part.FileName(),
		ContentType: part.Header.Get("Content-Type"),
		Data:        data,
		At:          now,
	}
	s.uploadLog = append(s.uploadLog, id)
	s.mu.Unlock()
	writeJSON(w, map[string]any{
		"errcode":    0,
		"errmsg":     "",
		"type":       typ,
		"media_id":   id,
		"created_at": strconv.FormatInt(now.Unix(), 10),
	})
}
