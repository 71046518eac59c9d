# mimedefang-filter.pl — the MIMEDefang filter of bench/compare/compare.py (issue 10): what an
# admin would deploy instead of mugai. compare.py copies it into its work directory with
# @CLAMD_SOCK@ replaced by its private clamd's socket and runs
#   mimedefang-multiplexor -F THIS_FILE ...   (mimedefang.pl -f THIS_FILE in each worker)
# For every message:
#   filter_begin  message_contains_virus_clamd(): clamd SCANs the decoded parts MIMEDefang wrote
#                 to ./Work; a virus bounces the message (554), a clamd failure tempfails it
#   filter        every text/html part is replaced by its text, charset decoded, re-encoded as
#                 UTF-8 quoted-printable; @HTML2TEXT@ (compare.py's mimedefang / mimedefang-lite)
#                 says how: formattext = HTML::TreeBuilder + HTML::FormatText (a layout: tables,
#                 lists, wrapped paragraphs; pure Perl), parser = HTML::Parser's text events (C),
#                 a line break at block tags, style and script skipped (text only, no layout);
#                 every other part that is not text/plain, or that carries a file name or
#                 Content-Disposition: attachment, is dropped (action_drop)
#   filter_end    nothing (no SpamAssassin, no notification, no boilerplate)
# The Debian example filter's defaults otherwise: no inline warnings, no graphdefang logging.

$AdminAddress = 'postmaster@localhost';
$AdminName = "MIMEDefang Administrator";
$DaemonAddress = 'mimedefang@localhost';
$AddWarningsInline = 0;
$Stupidity{"NoMultipleInlines"} = 0;
$ClamdSock = '@CLAMD_SOCK@';
$HtmlToText = '@HTML2TEXT@';

use Encode ();
use HTML::TreeBuilder ();
use HTML::FormatText ();
use HTML::Parser ();

sub html_text_parser {
    my ($decoded) = @_;
    my @out;
    my $skip = 0;
    my $p = HTML::Parser->new(
        api_version => 3,
        text_h => [ sub { push @out, $_[0] unless $skip }, 'dtext' ],
        start_h => [ sub {
            my $t = $_[0];
            $skip++ if $t eq 'style' || $t eq 'script';
            push @out, "\n" if $t =~ /^(?:p|br|div|tr|h[1-6]|li|table|blockquote)$/;
        }, 'tagname' ],
        end_h => [ sub { $skip-- if ($_[0] eq 'style' || $_[0] eq 'script') && $skip > 0 }, 'tagname' ]);
    $p->parse($decoded);
    $p->eof;
    return join('', @out);
}

sub html_to_text_entity {
    my ($entity) = @_;
    my $bh = $entity->bodyhandle;
    my $html = defined($bh) ? $bh->as_string : '';
    my $charset = $entity->head->mime_attr('content-type.charset') || 'utf-8';
    my $decoded = eval { Encode::decode($charset, $html) };
    $decoded = Encode::decode('utf-8', $html) unless defined $decoded;
    my $text;
    if ($HtmlToText eq 'parser') {
        $text = html_text_parser($decoded);
    } else {
        my $tree = HTML::TreeBuilder->new_from_content($decoded);
        $text = HTML::FormatText->new(leftmargin => 0, rightmargin => 76)->format($tree);
        $tree->delete;
    }
    return MIME::Entity->build(Top => 0,
                               Type => 'text/plain',
                               Charset => 'utf-8',
                               Encoding => 'quoted-printable',
                               'X-Mailer' => undef,
                               Data => [ Encode::encode('UTF-8', $text) ]);
}

sub filter_begin {
    my ($entity) = @_;
    my ($code, $category, $action) = message_contains_virus_clamd();
    if ($category eq "virus") {
        return action_bounce("Virus $VirusName found");
    }
    if ($action eq "tempfail") {
        return action_tempfail("Problem running virus scanner (code=$code, category=$category)");
    }
}

sub filter {
    my ($entity, $fname, $ext, $type) = @_;
    return if message_rejected();
    $type = lc($type);
    my $disposition = lc($entity->head->mime_attr('content-disposition') || '');
    if ($type eq 'text/html' && $fname eq '' && $disposition ne 'attachment') {
        $ReplacementEntity = html_to_text_entity($entity);
        $Actions{'html_to_text'}++;
        $Action = "replace";
        return 1;
    }
    if ($type ne 'text/plain' || $fname ne '' || $disposition eq 'attachment') {
        return action_drop();
    }
    return action_accept();
}

sub filter_multipart {
    my ($entity, $fname, $ext, $type) = @_;
    return action_accept();
}

sub filter_end {
    my ($entity) = @_;
}

1;
