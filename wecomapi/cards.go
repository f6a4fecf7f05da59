package wecomapi

import (
	"context"

	"github.com/changzhi-amr/choucha/reply"
)

// CodeUnsupported marks a reply this client cannot deliver (checked
// locally, never sent): permanent.
const CodeUnsupported = -4

// SendCard sends an option card as a template_card through message/send.
func (c *Client) SendCard(ctx context.Context, to reply.Recipient, card *reply.Card) (*SendResult, error) {
	return nil, apiError("message/send", CodeUnsupported, "template_card not implemented yet (checked locally)")
}

// UpdateCard shows the choice made on a clicked card
// (message/update_template_card with the click's response code).
func (c *Client) UpdateCard(ctx context.Context, to reply.Recipient, u *reply.CardUpdate) error {
	return apiError("message/update_template_card", CodeUnsupported, "not implemented yet (checked locally)")
}

// SendFile uploads a file (media/upload) and sends it (message/send, file).
func (c *Client) SendFile(ctx context.Context, to reply.Recipient, f *reply.File) (*SendResult, error) {
	return nil, apiError("media/upload", CodeUnsupported, "not implemented yet (checked locally)")
}
