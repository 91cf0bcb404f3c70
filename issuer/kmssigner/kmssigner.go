// Package kmssigner signs extauth tokens with RSA keys that never leave AWS
// KMS (RSASSA_PKCS1_V1_5_SHA_256 over the token's SHA-256 digest, which is
// RS256), through aws-sdk-go-v2's service/kms.
//
// A KMS key is an issuer.Key: pass it to issuer.Config.Keys, or let an
// issuer/keyset.Set create and find keys, storing only their ARNs:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	signer, err := kmssigner.New(kms.NewFromConfig(cfg), nil)
//	key, err := signer.Key(ctx, "alias/idp-signing")
//	set, err := keyset.New(ctx, keyset.Config{Store: store, NewKey: signer.NewKey, Open: signer.OpenKey})
//
// Every signature is one KMS Sign call. A crypto.Signer has no context:
// issuer.Issue stops waiting when its context ends, and Options.Timeout
// bounds the call itself.
package kmssigner

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/extauth/extauth/issuer"
)

// ErrSign is wrapped by every error of a signature KMS refused or failed
// (a disabled or deleted key, missing permission, a timeout).
var ErrSign = errors.New("kmssigner: KMS did not sign")

// ErrUnusableKey is returned by Key and OpenKey for a key that cannot sign
// RS256: not RSA, not SIGN_VERIFY, or without RSASSA_PKCS1_V1_5_SHA_256.
var ErrUnusableKey = errors.New("kmssigner: the KMS key cannot sign RS256")

// API is the part of *kms.Client this package calls.
type API interface {
	Sign(ctx context.Context, in *kms.SignInput, opts ...func(*kms.Options)) (*kms.SignOutput, error)
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, opts ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
	CreateKey(ctx context.Context, in *kms.CreateKeyInput, opts ...func(*kms.Options)) (*kms.CreateKeyOutput, error)
}

// Options tune a Signer; nil means the defaults.
type Options struct {
	// Timeout bounds each Sign call; zero means 10 seconds.
	Timeout time.Duration
	// KeySpec is what NewKey creates: types.KeySpecRsa2048 (the default),
	// Rsa3072 or Rsa4096.
	KeySpec types.KeySpec
	// Tags are set on the keys NewKey creates.
	Tags []types.Tag
}

// Signer makes issuer.Keys of KMS keys. It is safe for concurrent use.
type Signer struct {
	api  API
	opts Options
}

// New returns a Signer calling api (a *kms.Client).
func New(api API, opts *Options) (*Signer, error) {
	if api == nil {
		return nil, errors.New("kmssigner: the KMS client is nil: pass kms.NewFromConfig(cfg)")
	}
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("kmssigner: Options.Timeout is %s: it must be positive", o.Timeout)
	}
	switch o.KeySpec {
	case "":
		o.KeySpec = types.KeySpecRsa2048
	case types.KeySpecRsa2048, types.KeySpecRsa3072, types.KeySpecRsa4096:
	default:
		return nil, fmt.Errorf("kmssigner: Options.KeySpec is %q: use RSA_2048, RSA_3072 or RSA_4096", o.KeySpec)
	}
	return &Signer{api: api, opts: o}, nil
}

// Key is the KMS key keyID (a key id, an ARN or an alias) as an
// issuer.Key whose kid is its RFC 7638 thumbprint.
func (s *Signer) Key(ctx context.Context, keyID string) (*issuer.Key, error) {
	if keyID == "" {
		return nil, errors.New("kmssigner: the key id is empty: pass a key id, ARN or alias/…")
	}
	out, err := s.api.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("kmssigner: get the public key of %s: %w", keyID, err)
	}
	if out.KeyUsage != types.KeyUsageTypeSignVerify || !slices.Contains(out.SigningAlgorithms, types.SigningAlgorithmSpecRsassaPkcs1V15Sha256) {
		return nil, fmt.Errorf("%w: %s has usage %s and algorithms %v; create it with key usage SIGN_VERIFY and an RSA key spec", ErrUnusableKey, keyID, out.KeyUsage, out.SigningAlgorithms)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("kmssigner: the public key of %s does not parse: %w", keyID, err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s is a %T key; RS256 needs RSA", ErrUnusableKey, keyID, pub)
	}
	id := aws.ToString(out.KeyId) // the ARN: stable whatever alias named it
	return issuer.NewKey(&signer{s: s, keyID: id, pub: rsaPub}, "")
}

// NewKey is a keyset.Config.NewKey: it creates a KMS key (Options.KeySpec,
// SIGN_VERIFY) whose ARN is the ref the key set stores.
func (s *Signer) NewKey(ctx context.Context) (*issuer.Key, string, error) {
	out, err := s.api.CreateKey(ctx, &kms.CreateKeyInput{
		KeySpec: s.opts.KeySpec, KeyUsage: types.KeyUsageTypeSignVerify, Tags: s.opts.Tags,
		Description: aws.String("extauth token signing key"),
	})
	if err != nil {
		return nil, "", fmt.Errorf("kmssigner: create a key: %w", err)
	}
	arn := aws.ToString(out.KeyMetadata.Arn)
	k, err := s.Key(ctx, arn)
	if err != nil {
		return nil, "", err
	}
	return k, arn, nil
}

// OpenKey is a keyset.Config.Open: the KMS key ref, which must have the
// kid the key set recorded.
func (s *Signer) OpenKey(ctx context.Context, ref, kid string) (*issuer.Key, error) {
	k, err := s.Key(ctx, ref)
	if err != nil {
		return nil, err
	}
	if k.ID() != kid {
		return nil, fmt.Errorf("kmssigner: key %s has kid %s, the key set recorded %s: the ref now names another key", ref, k.ID(), kid)
	}
	return k, nil
}

// signer is one KMS key as a crypto.Signer.
type signer struct {
	s     *Signer
	keyID string
	pub   *rsa.PublicKey
}

func (k *signer) Public() crypto.PublicKey { return k.pub }

func (k *signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil || opts.HashFunc() != crypto.SHA256 || len(digest) != sha256.Size {
		return nil, fmt.Errorf("%w: only SHA-256 digests (RS256) are signed", ErrSign)
	}
	if _, pss := opts.(*rsa.PSSOptions); pss {
		return nil, fmt.Errorf("%w: PSS is not RS256", ErrSign)
	}
	ctx, cancel := context.WithTimeout(context.Background(), k.s.opts.Timeout)
	defer cancel()
	out, err := k.s.api.Sign(ctx, &kms.SignInput{
		KeyId: aws.String(k.keyID), Message: digest, MessageType: types.MessageTypeDigest,
		SigningAlgorithm: types.SigningAlgorithmSpecRsassaPkcs1V15Sha256,
	})
	if err != nil {
		return nil, fmt.Errorf("%w with %s: %w", ErrSign, k.keyID, err)
	}
	return out.Signature, nil
}
